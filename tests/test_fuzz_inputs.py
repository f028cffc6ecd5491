"""Random text into every parser of user and file input: the spec parser, the stack-file loader,
the lesson parser and the answer evaluator raise only the project's own error types (which the
app and the CLI turn into one message), never anything else. 10,900 examples in all, a fixed
seed each run (derandomize), so CI is repeatable; no deadline, the count is what is fixed."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnn_tui.core.course.lesson_answers import compute
from cnn_tui.core.course.lessons import LessonError, parse_lesson
from cnn_tui.core.stacks.shapes import StackError
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack_file import loads_stack

FUZZ = settings(
    deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow], database=None
)

SPEC_TOKENS = [
    "conv", "maxpool", "avgpool", "fc", "relu", "bn", "dropout", "flatten", "gap", "res",
    "cat", "dense", "leakyrelu", "lrn", "(", ")", "[", "]", "|", "*", ",", "=", "s", "p",
    "d", "g", "bias", "true", "false", "same", "valid", "full", "0", "1", "2", "3", "5", "64",
    "-1", "0.5", "1e9", "999999999", "nan", "inf", " ", "２", "\x1b", "\n", "ceil_mode",
]  # fmt: skip

ANSWER_TOKENS = [
    "conv_output", "pool_output", "conv_params", "linear_params", "output_shape",
    "stack_params", "layer_params", "receptive_field", "softmax", "adam_step",
    "momentum_velocity", "adagrad_step", "sqrt", "ln", "exp", "bytes_of", "dropout_scale",
    "conv_cell", "pool_cell", "model", "input", "size", "kernel", "steps", "grad", "=", "(",
    ")", ",", "+", "-", "*", "/", "**", "//", "%", "'", '"', "[", "]", "lambda", "__import__",
    "0", "1", "2", "3", "9", "100000", "1e308", "-1", "0.5", "'vgg16'", "'conv(6,5)'",
    "'3x32x32'", "'1 2; 3 4'", "x", ".", " ", "\n",
]  # fmt: skip


def joined(tokens: list[str], most: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(tokens), max_size=most).map("".join)


@settings(FUZZ, max_examples=3_000)
@given(st.one_of(st.text(max_size=80), joined(SPEC_TOKENS, 30)))
def test_the_spec_parser_raises_only_stack_errors(text):
    with contextlib.suppress(StackError):
        parse_layers(text)


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["conv", "relu", "res", "cat", "dense", "fc", "3x28x28", "4", "valid", "２"]),
    st.text(max_size=10),
)
KEYS = st.sampled_from(
    [
        "type", "out_channels", "kernel", "stride", "padding", "dilation", "groups", "bias",
        "features", "p", "body", "shortcut", "branches", "layers", "growth", "slope", "size",
        "ceil_mode", "name", "x",
    ]
)  # fmt: skip
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=20,
)
STACK_DOCUMENTS = st.fixed_dictionaries(
    {"layers": st.lists(JSON_VALUES, max_size=5)},
    optional={
        "format": st.sampled_from(["cnn-tui-stack", "x", 1]),
        "version": st.sampled_from([1, 2, "1"]),
        "input": JSON_SCALARS,
        "name": JSON_SCALARS,
        "description": JSON_SCALARS,
    },
)


@settings(FUZZ, max_examples=2_500)
@given(STACK_DOCUMENTS)
def test_the_stack_file_loader_raises_only_stack_errors_on_random_documents(document):
    with contextlib.suppress(StackError):
        loads_stack(json.dumps(document), "fuzz.json")


@settings(FUZZ, max_examples=1_000)
@given(st.text(max_size=200))
def test_the_stack_file_loader_raises_only_stack_errors_on_random_text(text):
    with contextlib.suppress(StackError):
        loads_stack(text, "fuzz.json")


LESSON_LINES = [
    "---", "title: T", "order: 1", "minutes: 5", "objectives:", "  - learn", "order: x",
    "title: [link=https://example.org]x[/link]", "::: exercise a", "::: exercise a",
    "::: try stepper seed-conv", "::: try nowhere x", ":::", "kind: number", "kind: choice",
    "kind: task", "question: Q?", "answer: 1 + 1", "answer: conv_output(size=5, kernel=3)",
    "choices:", "  - one", "  - two", "answer: 3", "check: stack(has='conv')", "hint: h",
    "tolerance: 0.1", "tolerance: x", "explain: e", "  continued", "# heading", "text", "",
    "\x1b[31m", "minutes: 0", "unknown: 1",
]  # fmt: skip


@settings(FUZZ, max_examples=1_500)
@given(st.lists(st.sampled_from(LESSON_LINES), max_size=25).map("\n".join))
def test_the_lesson_parser_raises_only_lesson_errors(text):
    with contextlib.suppress(LessonError):
        parse_lesson(text, "fuzz.md")


@settings(FUZZ, max_examples=500)
@given(st.text(max_size=300))
def test_the_lesson_parser_on_random_text(text):
    with contextlib.suppress(LessonError):
        parse_lesson(text, "fuzz.md")


@settings(FUZZ, max_examples=2_400)
@given(st.one_of(st.text(max_size=60), joined(ANSWER_TOKENS, 25)))
def test_the_answer_evaluator_raises_only_lesson_errors(expression):
    with contextlib.suppress(LessonError):
        compute(expression)
