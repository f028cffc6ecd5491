"""Exercise answers computed by the engine, and checks of what the student typed or built.

An exercise's `answer:` is a small expression: engine calls with keyword arguments, numbers,
strings and + - * / ** between them, e.g. `linear_params(inputs=200*200*3, outputs=1000)`.
It is evaluated with Python's `ast` over a fixed table of functions (nothing else can run), so
a teacher's typo is an error naming the file and line, never code execution.
A task's `check:` is evaluated the same way against the app's state (the builder's stack, the
last training run, the stepper's settings).
"""

from __future__ import annotations

import ast
import inspect
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import arithmetic
from .layers import ALIASES, LAYER_TYPES, Stack, StackError, format_shape, parse_shape
from .lessons import Exercise, Lesson, LessonError

# ---------------------------------------------------------------------------------------------
# Answer functions: each wraps an engine computation
# ---------------------------------------------------------------------------------------------


def _stack(model: str, input: str | None) -> Stack:
    from .zoo import resolve_stack

    return resolve_stack(model, parse_shape(input) if input else None)


def _tally(model: str, input: str | None = None):
    from .tally import tally

    result = tally(_stack(model, input))
    if result.error is not None:
        raise result.error
    return result


def conv_output(size: int, kernel: int, stride: int = 1, padding: int | str = 0, dilation: int = 1):
    return arithmetic.output_size(size, kernel, stride, padding, dilation)


def pool_output(
    size: int, kernel: int, stride: int | None = None, padding: int = 0, ceil: bool = False
) -> int:
    return arithmetic.pool_output_size(size, kernel, stride, padding, ceil_mode=ceil)


def conv_params(kernel: int, in_channels: int, out_channels: int, bias: bool = True) -> int:
    return arithmetic.conv_params(kernel, in_channels, out_channels, bias=bias).total


def linear_params(inputs: int, outputs: int, bias: bool = True) -> int:
    return arithmetic.linear_params(inputs, outputs, bias=bias).total


def _grid(text: str, name: str):
    from .stepper import parse_grid

    return parse_grid(text, name)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def conv_cell(
    input: str,
    kernel: str,
    row: int,
    col: int,
    stride: int = 1,
    padding: int | str = 0,
    mode: str = "correlation",
    bias: float = 0.0,
) -> int | float:
    """One output cell of a 2-D conv of a grid ('1 0 1; 0 1 0; ...') by a kernel grid."""
    from .stepper import conv2d_trace

    trace = conv2d_trace(
        _grid(input, "input"),
        _grid(kernel, "kernel"),
        stride=stride,
        padding=padding,
        mode=mode,
        bias=bias,
    )
    return _number(trace.output[0, row, col])


def conv1d_cell(
    signal: str,
    kernel: str,
    index: int,
    stride: int = 1,
    padding: int | str = 0,
    mode: str = "correlation",
) -> int | float:
    from .stepper import conv1d_trace

    values = _grid(signal, "signal").ravel()
    weights = _grid(kernel, "kernel").ravel()
    trace = conv1d_trace(values, weights, stride=stride, padding=padding, mode=mode)
    return _number(round(float(trace.output[0, index]), 10))


def pool_cell(
    input: str, size: int, row: int, col: int, stride: int | None = None, kind: str = "max"
) -> int | float:
    from .stepper import pool2d_trace

    trace = pool2d_trace(_grid(input, "input"), kind=kind, size=size, stride=stride)
    return _number(round(float(trace.output[0, row, col]), 10))


def output_shape(model: str, input: str | None = None) -> str:
    return format_shape(_stack(model, input).output_shape())


def stack_params(model: str, input: str | None = None, biases: bool = True) -> int:
    totals = _tally(model, input).totals
    return totals.params if biases else totals.weights


def stack_activations(model: str, input: str | None = None) -> int:
    return _tally(model, input).totals.activations


def stack_macs(model: str, input: str | None = None) -> int:
    return _tally(model, input).totals.macs


def layer_params(model: str, layer: int, input: str | None = None) -> int:
    return _layer_row(model, layer, input).params


def layer_activations(model: str, layer: int, input: str | None = None) -> int:
    return _layer_row(model, layer, input).activations


def _layer_row(model: str, layer: int, input: str | None):
    for row in _tally(model, input).rows:
        if row.number == str(layer):
            return row
    raise LessonError(f"{model} has no layer {layer}")


def receptive_field(model: str, input: str | None = None) -> int:
    """The receptive field (pixels on a side) after the last layer that still has one."""
    from .tally import receptive_fields

    sizes = [r.field.size for r in receptive_fields(_stack(model, input)) if r.field is not None]
    if not sizes:
        raise LessonError(f"{model} has no layer with a receptive field")
    return int(sizes[-1])


def dropout_scale(p: float) -> float:
    """Inverted dropout multiplies the kept units by 1 / (1 - p) during training."""
    return 1 / (1 - p)


def softmax(values: str, index: int) -> float:
    numbers = [float(v) for v in _grid(values, "values").ravel()]
    top = max(numbers)
    exps = [math.exp(v - top) for v in numbers]
    return exps[index] / sum(exps)


def _check_steps(steps: Any) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number from 1 to {MAX_STEPS:,}, got {steps!r}")


def momentum_velocity(grad: float, momentum: float, steps: int) -> float:
    """PyTorch's SGD momentum buffer after `steps` equal gradients: v <- m v + g."""
    _check_steps(steps)
    velocity = 0.0
    for _ in range(steps):
        velocity = momentum * velocity + grad
    return velocity


def adam_step(
    grad: float,
    lr: float = 0.001,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    steps: int = 1,
) -> float:
    """Size of Adam's update at step `steps` under a constant gradient, with bias correction."""
    _check_steps(steps)
    m = v = 0.0
    update = 0.0
    for t in range(1, steps + 1):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        update = lr * (m / (1 - beta1**t)) / (math.sqrt(v / (1 - beta2**t)) + eps)
    return update


def adagrad_step(grad: float, lr: float = 0.01, steps: int = 1, eps: float = 1e-10) -> float:
    """AdaGrad's update at step `steps` under a constant gradient: it shrinks like 1/sqrt(t)."""
    return lr * grad / (math.sqrt(steps * grad * grad) + eps)


def bytes_of(numbers: int, dtype_bytes: int = 4) -> int:
    return numbers * dtype_bytes


def sqrt(x: float) -> float:
    return math.sqrt(x)


def ln(x: float) -> float:
    """The natural logarithm: a 10-class guess has loss ln(10)."""
    return math.log(x)


def exp(x: float) -> float:
    return math.exp(x)


ANSWERS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        conv_output,
        pool_output,
        conv_params,
        linear_params,
        conv_cell,
        conv1d_cell,
        pool_cell,
        output_shape,
        stack_params,
        stack_activations,
        stack_macs,
        layer_params,
        layer_activations,
        receptive_field,
        dropout_scale,
        softmax,
        momentum_velocity,
        adam_step,
        adagrad_step,
        bytes_of,
        sqrt,
        ln,
        exp,
    )
}
"""Every function an `answer:` may call."""


# ---------------------------------------------------------------------------------------------
# Task checks: against what the student has in the app
# ---------------------------------------------------------------------------------------------


@dataclass
class LessonState:
    """What the app holds right now, for 'make it happen' tasks."""

    stack: Stack | None = None
    """The builder's current stack."""
    training: dict[str, Any] | None = None
    """The last finished training run's summary (TrainResult.summary())."""
    stepper: dict[str, Any] = field(default_factory=dict)
    """The stepper's settings: preset, operation, mode, stride, padding, ..."""


@dataclass(frozen=True)
class Verdict:
    correct: bool
    message: str


def _whole_argument(name: str, value: Any, least: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be a whole number of at least {least}, got {value!r}")


def _check_stack(
    state: LessonState,
    output: int | str | None = None,
    max_params: int | None = None,
    min_params: int | None = None,
    has: str | None = None,
    input: str | None = None,
) -> Verdict:
    from .tally import tally

    # the arguments first, so that a course check finds a bad one without any stack
    _whole_argument("max_params", max_params, least=1)
    _whole_argument("min_params", min_params, least=0)
    wanted_output = parse_shape(str(output)) if output is not None else None
    wanted_input = parse_shape(input) if input is not None else None
    if has is not None:
        has = ALIASES.get(str(has).lower(), str(has).lower())
        if has not in LAYER_TYPES:
            raise ValueError(f"has={has}: no such layer (use one of {', '.join(LAYER_TYPES)})")
    if state.stack is None or not state.stack.layers:
        return Verdict(False, "the builder has no stack yet: open it with 3 and add layers")
    stack = state.stack
    if wanted_input is not None and stack.input_shape != wanted_input:
        return Verdict(False, f"set the builder's input to {input}")
    result = tally(stack)
    if result.error is not None:
        return Verdict(False, f"the stack does not fit yet: {result.error}")
    out = stack.output_shape()
    if wanted_output is not None and tuple(out) != wanted_output:
        return Verdict(False, f"the stack ends in {format_shape(out)}; it should end in {output}")
    params = result.totals.params
    if max_params is not None and params >= max_params:
        return Verdict(False, f"{params:,} parameters: get under {max_params:,}")
    if min_params is not None and params < min_params:
        return Verdict(False, f"{params:,} parameters: use at least {min_params:,}")
    if has is not None and not any(r.kind == has for r in result.rows):
        return Verdict(False, f"the stack has no {has} layer yet")
    return Verdict(True, f"{format_shape(out)} out, {params:,} parameters: done")


def _check_trained(
    state: LessonState,
    min_accuracy: float | None = None,
    model: str | None = None,
    dataset: str | None = None,
    race: int | None = None,
) -> Verdict:
    if min_accuracy is not None and (
        isinstance(min_accuracy, (bool, str)) or not 0 < min_accuracy <= 1
    ):
        raise ValueError(
            f"min_accuracy must be a fraction above 0 and up to 1, got {min_accuracy!r}"
        )
    _whole_argument("race", race, least=1)
    summary = state.training
    if not summary:
        return Verdict(False, "no finished training run yet: open the Train screen with 4")
    if model is not None and summary.get("model") != model:
        return Verdict(False, f"the last run trained {summary.get('model')}, not {model}")
    if dataset is not None and summary.get("dataset") != dataset:
        return Verdict(False, f"the last run used {summary.get('dataset')}, not {dataset}")
    # a run that failed (NaN, out of memory) counts for nothing
    runs = [r for r in summary.get("runs", []) if r.get("status", "done") != "error"]
    if race is not None and len(runs) < race:
        return Verdict(
            False, f"race at least {race} optimizers (the last run had {len(runs)} that worked)"
        )
    best = max((r.get("test_accuracy") or 0.0 for r in runs), default=0.0)
    if min_accuracy is not None and best < min_accuracy:
        return Verdict(False, f"best test accuracy {best:.1%}: reach {min_accuracy:.0%}")
    return Verdict(True, f"best test accuracy {best:.1%}: done")


def _check_stepper(state: LessonState, **wanted: Any) -> Verdict:
    if not state.stepper:
        return Verdict(False, "open the stepper with 2 first")
    for key, value in wanted.items():
        have = state.stepper.get(key)
        if str(have) != str(value):
            return Verdict(False, f"set the stepper's {key} to {value} (it is {have})")
    return Verdict(True, "the stepper is set: done")


CHECKS: dict[str, Callable[..., Verdict]] = {
    "stack": _check_stack,
    "trained": _check_trained,
    "stepper": _check_stepper,
}
"""Every function a task's `check:` may call; each receives the state first."""


# ---------------------------------------------------------------------------------------------
# The expression evaluator
# ---------------------------------------------------------------------------------------------

MAX_DIGITS = 100
"""The most digits a whole number in an expression may have (10**100 is far beyond any count of
parameters or bytes): `10 ** 10 ** 10` is refused, not computed for hours."""

MAX_STEPS = 100_000
"""The most optimizer steps momentum_velocity and adam_step simulate, one by one."""

_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Pow: lambda a, b: a**b,
    ast.Mod: lambda a, b: a % b,
}
_NAMES = {"true": True, "false": False, "True": True, "False": False, "none": None}


def _evaluate(node: ast.AST, table: dict[str, Callable[..., Any]], state: Any) -> Any:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, table, state)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
        return _bounded(node.value, node)
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, ast.Name):
        return node.id  # a bare word is a string: model=seed-mnist needs no quotes
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left = _evaluate(node.left, table, state)
        right = _evaluate(node.right, table, state)
        if isinstance(left, str) or isinstance(right, str):
            # text * 10**9 or '%999999999d' % 1 would fill the memory; text + text is harmless
            if isinstance(node.op, ast.Add) and isinstance(left, str) and isinstance(right, str):
                return left + right
            raise _PartError(node, "mixes text into arithmetic, which works on numbers")
        if isinstance(node.op, ast.Pow) and _too_big_power(left, right):
            raise _PartError(node, f"is larger than 10**{MAX_DIGITS}")
        return _bounded(_OPERATORS[type(node.op)](left, right), node)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand, table, state)
        if isinstance(value, str):
            raise _PartError(node, "puts a sign before text, not a number")
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name not in table:
            raise ValueError(f"unknown function {name}(): use one of {', '.join(table)}")
        args = [_evaluate(a, table, state) for a in node.args]
        kwargs = {k.arg: _evaluate(k.value, table, state) for k in node.keywords if k.arg}
        if state is not None:
            args.insert(0, state)
        function = table[name]
        _bind(name, function, args, kwargs)
        try:
            return _bounded(function(*args, **kwargs), node)
        except (TypeError, IndexError) as exc:
            raise ValueError(f"{name}(): {exc}") from None
    raise ValueError(f"'{ast.unparse(node)}' is not allowed here")


def _bind(name: str, function: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]):
    """Check a call's arguments before making it: one message naming the argument at fault
    (a call's own TypeError would name the function twice: 'f(): f() missing ...')."""
    signature = inspect.signature(function)
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    for key in kwargs:
        # a misspelt name first: it is also why the right one seems missing
        if key not in signature.parameters and not takes_any:
            known = ", ".join(p for p in signature.parameters if p != "state")
            raise ValueError(
                f"{name}(): got an unexpected keyword argument '{key}' (it takes {known})"
            )
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise ValueError(f"{name}(): {exc}") from None


class _PartError(ValueError):
    """A part of an expression that cannot be computed: 'x' is larger than 10**100."""

    def __init__(self, node: ast.AST, problem: str) -> None:
        self.node = node
        self.problem = problem
        """What is wrong with it, as a predicate: 'is larger than 10**100'."""
        super().__init__(f"'{_source(node)}' {problem}")


def _source(node: ast.AST, limit: int = 40) -> str:
    """A part of an expression as a message quotes it (made only for a message: it is slow)."""
    text = ast.unparse(node)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _too_big_power(base: Any, exponent: Any) -> bool:
    """Whether base ** exponent has more than MAX_DIGITS digits (judged before computing it)."""
    if not isinstance(exponent, (int, float)) or exponent <= 0:
        return False
    size = abs(base) if isinstance(base, (int, float)) else 0
    if size <= 1:
        return False
    return exponent * math.log10(size) > MAX_DIGITS


def _bounded(value: Any, node: ast.AST) -> Any:
    """value, or ValueError when it is a whole number of more than MAX_DIGITS digits, a float
    that is nan or infinite, or a complex number."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _MAX_BITS:
        raise _PartError(node, f"is larger than 10**{MAX_DIGITS}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _PartError(node, f"is {value}, not a finite number")
    if isinstance(value, complex):  # (-8) ** 0.5
        raise _PartError(node, "is not a real number")
    return value


_MAX_BITS = math.ceil(MAX_DIGITS * math.log2(10))


_DASHED_WORD = re.compile(r"(?<=[=(,\s])([A-Za-z][\w]*(?:-[\w]+)+)(?=[\s,)]|$)")


def _parse(text: str) -> ast.Expression:
    # preset names such as seed-mnist read as words, not subtractions
    quoted = _DASHED_WORD.sub(lambda m: repr(m.group(1)), text.strip())
    return ast.parse(quoted, mode="eval")


_EXPRESSION_ERRORS = (
    SyntaxError,
    ValueError,  # StackError and LessonError too
    ArithmeticError,
    LookupError,
    TypeError,
    RecursionError,
)
"""What a teacher's expression can raise: each becomes one LessonError naming file and line."""


def _reason(exc: Exception, tree: ast.Expression | None) -> str:
    if isinstance(exc, _PartError) and tree is not None and exc.node is tree.body:
        return f"it {exc.problem}"  # the whole expression: the message quotes it already
    if isinstance(exc, SyntaxError):
        return exc.msg
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    return str(exc)


def compute(expression: str, where: Exercise | None = None, lesson: Lesson | None = None) -> Any:
    """The value of an `answer:` expression; LessonError (file, line) when it cannot be had."""
    tree = None
    try:
        tree = _parse(expression)
        return _evaluate(tree, ANSWERS, None)
    except _EXPRESSION_ERRORS as exc:
        reason = _reason(exc, tree)
        raise LessonError(
            f"answer {expression!r} cannot be computed: {reason}",
            lesson.path if lesson else None,
            where.line if where else None,
        ) from None


def check_task(exercise: Exercise, state: LessonState, lesson: Lesson | None = None) -> Verdict:
    tree = None
    try:
        tree = _parse(exercise.check)
        verdict = _evaluate(tree, CHECKS, state)
    except _EXPRESSION_ERRORS as exc:
        reason = _reason(exc, tree)
        raise LessonError(
            f"check {exercise.check!r} cannot run: {reason}",
            lesson.path if lesson else None,
            exercise.line,
        ) from None
    if not isinstance(verdict, Verdict):
        raise LessonError(
            f"check {exercise.check!r} is not a single check call",
            lesson.path if lesson else None,
            exercise.line,
        )
    if not verdict.correct and exercise.hint:
        return Verdict(False, f"{verdict.message}. Hint: {exercise.hint}")
    return verdict


# ---------------------------------------------------------------------------------------------
# Marking typed answers
# ---------------------------------------------------------------------------------------------


def format_answer(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:.6g}"
    return str(value)


def parse_number(text: str) -> float | None:
    """'120,000,000', '1.2e8', '120 000 000', '1/16', '-3' -> a number (None if it is none)."""
    cleaned = re.sub(r"[\s,_']", "", text.strip())
    if not cleaned:
        return None
    if re.fullmatch(r"-?\d+(\.\d+)?/\d+(\.\d+)?", cleaned):
        top, bottom = cleaned.split("/")
        return float(top) / float(bottom) if float(bottom) else None
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _decimals(text: str) -> int:
    cleaned = re.sub(r"[\s,_']", "", text.strip())
    return len(cleaned.split(".", 1)[1]) if "." in cleaned and "e" not in cleaned.lower() else 0


def _numbers_match(response: str, value: float, tolerance: float) -> bool:
    given = parse_number(response)
    if given is None:
        return False
    if tolerance:
        return abs(given - value) <= tolerance * max(abs(value), 1e-12)
    if float(value).is_integer():
        return given == value
    # a float answer: right when it rounds to what was typed, and is within 2 %
    places = max(1, _decimals(response))
    return round(value, places) == round(given, places) and abs(given - value) <= 0.02 * abs(value)


def _shape_parts(text: str) -> tuple[int, ...] | None:
    parts = re.split(r"\s*[x×*,]\s*|\s+", text.strip().strip("()[]"))
    try:
        return tuple(int(p) for p in parts if p)
    except ValueError:
        return None


def mark(exercise: Exercise, response: str, lesson: Lesson | None = None) -> Verdict:
    """Mark a typed answer (number, shape) or a chosen option (choice: the option's number,
    1-based, or its text)."""
    if exercise.kind == "choice":
        return _mark_choice(exercise, response, lesson)
    if exercise.kind == "task":
        raise ValueError("tasks are checked against the app's state: use check_task")
    value = compute(exercise.answer, exercise, lesson)
    hint = f" Hint: {exercise.hint}" if exercise.hint else ""
    if exercise.kind == "shape":
        given, wanted = _shape_parts(response), _shape_parts(str(value))
        if given is None or not given:
            return Verdict(False, "type a shape such as 6x28x28")
        channels_last = wanted[1:] + wanted[:1] if wanted else wanted
        if given in (wanted, channels_last):
            return Verdict(True, f"right: {value} (channels x height x width)")
        return Verdict(False, f"not {response.strip()}.{hint}")
    if parse_number(response) is None:
        return Verdict(False, "type a number (commas and 1.2e8 are fine)")
    if _numbers_match(response, float(value), exercise.tolerance):
        return Verdict(True, f"right: {format_answer(value)}")
    direction = "too high" if (parse_number(response) or 0) > float(value) else "too low"
    return Verdict(False, f"{response.strip()} is {direction}.{hint}")


def correct_choice(exercise: Exercise, lesson: Lesson | None = None) -> int:
    """0-based index of the right option: the one the engine's answer names, else the [x]."""
    if exercise.answer:
        value = compute(exercise.answer, exercise, lesson)
        texts = [c.text.replace(",", "").strip() for c in exercise.choices]
        wanted = format_answer(value).replace(",", "")
        if wanted in texts:
            return texts.index(wanted)
        raise LessonError(
            f"the computed answer {format_answer(value)} is none of the choices",
            lesson.path if lesson else None,
            exercise.line,
        )
    return next(i for i, c in enumerate(exercise.choices) if c.marked)


def _mark_choice(exercise: Exercise, response: str, lesson: Lesson | None) -> Verdict:
    right = correct_choice(exercise, lesson)
    text = response.strip()
    index = None
    if text.isdigit() and 1 <= int(text) <= len(exercise.choices):
        index = int(text) - 1
    elif len(text) == 1 and text.isalpha() and ord(text.lower()) - 97 < len(exercise.choices):
        index = ord(text.lower()) - 97
    else:
        for i, choice in enumerate(exercise.choices):
            if choice.text.lower() == text.lower():
                index = i
    if index is None:
        return Verdict(False, f"pick one of the {len(exercise.choices)} options")
    if index == right:
        return Verdict(True, f"right: {exercise.choices[right].text}")
    hint = f" Hint: {exercise.hint}" if exercise.hint else ""
    return Verdict(False, f"not {exercise.choices[index].text}.{hint}")


def expected_text(exercise: Exercise, lesson: Lesson | None = None) -> str:
    """The answer as shown when the student asks to reveal it."""
    if exercise.kind == "choice":
        return exercise.choices[correct_choice(exercise, lesson)].text
    if exercise.kind == "task":
        return f"the app must pass: {exercise.check}"
    return format_answer(compute(exercise.answer, exercise, lesson))


def validate_course_answers(lessons: list[Lesson] | tuple[Lesson, ...]) -> list[LessonError]:
    """Compute every answer and parse every check; the problems found (none for a good course)."""
    problems: list[LessonError] = []
    for lesson in lessons:
        for exercise in lesson.exercises:
            try:
                if exercise.kind == "choice":
                    correct_choice(exercise, lesson)
                elif exercise.kind == "task":
                    _parse(exercise.check)
                    name = exercise.check.split("(", 1)[0].strip()
                    if name not in CHECKS:
                        raise LessonError(
                            f"check {name}() is unknown: use one of {', '.join(CHECKS)}",
                            lesson.path,
                            exercise.line,
                        )
                    # run against an empty app: every argument is read, nothing is checked yet
                    check_task(exercise, LessonState(), lesson)
                else:
                    compute(exercise.answer, exercise, lesson)
            except SyntaxError as exc:
                problems.append(
                    LessonError(f"check cannot be read: {exc.msg}", lesson.path, exercise.line)
                )
            except LessonError as exc:
                problems.append(exc)
    return problems


CALCULATOR_TABS = ("size", "params", "field", "summary")
"""Targets of a '::: try calculators' block: the calculators screen's tabs."""


def try_target_problem(screen: str, target: str) -> str | None:
    """Why a 'Try it' target cannot be opened (None when it can)."""
    if not target:
        return None
    if screen == "stepper":
        from .stepper import PRESETS

        if target not in PRESETS:
            return f"no stepper preset {target!r}: use one of {', '.join(PRESETS)}"
        return None
    if screen == "calculators":
        if target not in CALCULATOR_TABS:
            return f"no calculators tab {target!r}: use one of {', '.join(CALCULATOR_TABS)}"
        return None
    from .zoo import resolve_stack

    try:
        resolve_stack(target)
    except StackError as exc:
        return f"{screen} target {target!r}: {exc}"
    return None


def validate_course(lessons: list[Lesson] | tuple[Lesson, ...]) -> list[LessonError]:
    """Every problem of a parsed course: answers that cannot be computed, checks that cannot
    run, and 'Try it' targets that do not exist."""
    problems = validate_course_answers(lessons)
    for lesson in lessons:
        for try_it in lesson.try_its:
            reason = try_target_problem(try_it.screen, try_it.target)
            if reason:
                problems.append(LessonError(reason, lesson.path, try_it.line))
    return sorted(problems, key=lambda p: (str(p.path), p.line or 0))
