"""Exercise answers computed by the engine, and checks of what the student built (typed
answers are marked, and a course's answer key checked, in marking).

An exercise's `answer:` is a small expression: engine calls with keyword arguments, numbers,
strings and + - * / ** between them, e.g. `linear_params(inputs=200*200*3, outputs=1000)`.
It is evaluated by answer_expressions over a fixed table of functions (nothing else can run),
with a cap on its length, nesting and work, so a teacher's typo or a hostile lesson is an error
naming the file and line, never code execution or a frozen app.
A task's `check:` is evaluated the same way against the app's state (the builder's stack, the
last training run, the stepper's settings).
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..convolution import arithmetic
from ..stacks.layer_settings import ALIASES, LAYER_TYPES
from ..stacks.shapes import format_shape, parse_shape
from ..stacks.stack import Stack, row_count
from .answer_expressions import ERRORS as EXPRESSION_ERRORS
from .answer_expressions import (
    charge,
    evaluate,
    parse,
    quoted,
    reason,
)
from .backward_answers import BACKWARD_ANSWERS
from .inside_answers import INSIDE_ANSWERS
from .lessons import Exercise, Lesson, LessonError
from .optim_answers import OPTIM_ANSWERS

# ---------------------------------------------------------------------------------------------
# Answer functions: each wraps an engine computation, and charges its work before doing it
# ---------------------------------------------------------------------------------------------

ROW_COST = 50
"""Operations charged per row of a model that is tallied (one row costs about as much time as
50 optimizer steps): VGG-16 costs about 2,000, a stack of 10,000 layers 500,000."""

TERM_COST = 25
"""Operations charged per window cell a stepper trace visits (a product and its record: about
as much time as 25 optimizer steps)."""


_LESSON_FOLDER: contextvars.ContextVar[Path | None] = contextvars.ContextVar(
    "lesson_folder", default=None
)
"""The folder of the lesson whose expression is being computed: a relative model= file is
found beside the lesson, wherever cnn-tui was started from."""


@contextlib.contextmanager
def _beside(lesson: Lesson | None) -> Iterator[None]:
    token = _LESSON_FOLDER.set(lesson.path.parent if lesson is not None else None)
    try:
        yield
    finally:
        _LESSON_FOLDER.reset(token)


def _model_path(model: str) -> str:
    """A relative stack-file path as seen from the lesson's folder; anything else unchanged."""
    folder = _LESSON_FOLDER.get()
    path = Path(model.strip()).expanduser()
    if folder is None or path.is_absolute() or not model.strip().lower().endswith(".json"):
        return model
    return str(folder / path)


def _stack(model: str, input: str | None) -> Stack:
    from ..stacks.zoo import resolve_stack

    stack = resolve_stack(_model_path(model), parse_shape(input) if input else None)
    charge(row_count(stack.layers) * ROW_COST)
    return stack


def _tally(model: str, input: str | None = None):
    from ..stacks.tally import tally

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
    from ..convolution.trace_inputs import parse_grid

    grid = parse_grid(text, name)
    charge(grid.size)
    return grid


def _positive(value: Any, default: int) -> int:
    whole = isinstance(value, int) and not isinstance(value, bool)
    return value if whole and value > 0 else default


def _padding(padding: Any, window: int) -> int:
    """Cells added on each side (at most): 'same' and 'full' add up to window - 1."""
    return window - 1 if isinstance(padding, str) else _positive(padding, 0)


def _charge_trace(grid: Any, window_cells: int, axes: int, stride: Any, padding: int) -> None:
    """Charge a trace before it is made: at most one window of window_cells per output cell
    and channel, and never more than the stepper's MAX_TERMS (it refuses bigger traces)."""
    from ..convolution.stepper import MAX_TERMS

    sides = grid.shape[-axes:]
    step = _positive(stride, 1)
    outputs = math.prod(-(-(side + 2 * padding) // step) for side in sides)
    channels = grid.size // max(math.prod(sides), 1)
    charge(min(outputs * window_cells * channels, MAX_TERMS) * TERM_COST)


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
    from ..convolution.conv_trace import conv2d_trace

    image, weights = _grid(input, "input"), _grid(kernel, "kernel")
    _charge_trace(
        image, weights.size, 2, stride, _padding(padding, max(weights.shape[-2:], default=1))
    )
    trace = conv2d_trace(
        image,
        weights,
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
    from ..convolution.conv_trace import conv1d_trace

    values = _grid(signal, "signal").ravel()
    weights = _grid(kernel, "kernel").ravel()
    _charge_trace(values, weights.size, 1, stride, _padding(padding, weights.size))
    trace = conv1d_trace(values, weights, stride=stride, padding=padding, mode=mode)
    return _number(round(float(trace.output[0, index]), 10))


def pool_cell(
    input: str, size: int, row: int, col: int, stride: int | None = None, kind: str = "max"
) -> int | float:
    from ..convolution.pool_trace import pool2d_trace

    image = _grid(input, "input")
    side = _positive(size, 1)
    _charge_trace(image, side * side, 2, size if stride is None else stride, 0)
    trace = pool2d_trace(image, kind=kind, size=size, stride=stride)
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


def layer_shape(model: str, layer: int, input: str | None = None) -> str:
    """The shape one top-level layer's row puts out, e.g. `512x1x1`."""
    return format_shape(_layer_row(model, layer, input).output_shape)


def _layer_row(model: str, layer: int, input: str | None):
    for row in _tally(model, input).rows:
        if row.number == str(layer):
            return row
    raise LessonError(f"{model} has no layer {layer}")


def receptive_field(model: str, input: str | None = None) -> int:
    """The receptive field (pixels on a side) after the last layer that still has one."""
    from ..stacks.receptive_field import receptive_fields

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
    charge(steps)
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
    charge(steps)
    m = v = 0.0
    update = 0.0
    for t in range(1, steps + 1):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        update = lr * (m / (1 - beta1**t)) / (math.sqrt(v / (1 - beta2**t)) + eps)
    return update


def rmsprop_step(
    grad: float, lr: float = 0.001, alpha: float = 0.99, eps: float = 1e-8, steps: int = 1
) -> float:
    """Size of RMSProp's update at step `steps` under a constant gradient, as PyTorch's RMSprop
    computes it: no bias correction, so the first step is lr / sqrt(1 - alpha)."""
    _check_steps(steps)
    charge(steps)
    s = 0.0
    for _ in range(steps):
        s = alpha * s + (1 - alpha) * grad * grad
    return lr * grad / (math.sqrt(s) + eps)


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
        *BACKWARD_ANSWERS,
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
        layer_shape,
        receptive_field,
        dropout_scale,
        softmax,
        momentum_velocity,
        adam_step,
        rmsprop_step,
        adagrad_step,
        bytes_of,
        sqrt,
        ln,
        exp,
        *OPTIM_ANSWERS,
        *INSIDE_ANSWERS,
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
    earlier_training: tuple[dict[str, Any], ...] = ()
    """The summaries of the runs that finished before it in this app session, oldest first;
    a task passes when any finished run meets it, whichever screen started it."""
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
    from ..stacks.tally import tally

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
    charge(row_count(stack.layers) * ROW_COST)
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
    if not state.training:
        return Verdict(
            False,
            "no training run has finished in this app session yet: start one on the Train "
            "screen (4) and let it finish (runs from the command line or an earlier session "
            "do not count)",
        )
    last = _judge_run(state.training, min_accuracy, model, dataset, race)
    if not last.correct:
        for summary in reversed(state.earlier_training):
            earlier = _judge_run(summary, min_accuracy, model, dataset, race)
            if earlier.correct:
                return Verdict(True, f"an earlier run this session: {earlier.message}")
    return last


def _judge_run(
    summary: dict[str, Any],
    min_accuracy: float | None,
    model: str | None,
    dataset: str | None,
    race: int | None,
) -> Verdict:
    """One finished run's summary against a trained() check's conditions."""
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
# Evaluating answers and checks (the evaluator and its limits are in answer_expressions)
# ---------------------------------------------------------------------------------------------

MAX_STEPS = 100_000
"""The most optimizer steps momentum_velocity and adam_step simulate, one by one."""


def compute(expression: str, where: Exercise | None = None, lesson: Lesson | None = None) -> Any:
    """The value of an `answer:` expression; LessonError (file, line) when it cannot be had,
    among them an expression over the evaluator's limits on length, nesting and work."""
    tree = None
    try:
        tree = parse(expression)
        with _beside(lesson):
            return evaluate(tree, ANSWERS)
    except EXPRESSION_ERRORS as exc:
        raise LessonError(
            f"answer {quoted(expression)} cannot be computed: {reason(exc, tree)}",
            lesson.path if lesson else None,
            where.line if where else None,
        ) from None


def check_task(exercise: Exercise, state: LessonState, lesson: Lesson | None = None) -> Verdict:
    tree = None
    try:
        tree = parse(exercise.check)
        with _beside(lesson):
            verdict = evaluate(tree, CHECKS, state)
    except EXPRESSION_ERRORS as exc:
        raise LessonError(
            f"check {quoted(exercise.check)} cannot run: {reason(exc, tree)}",
            lesson.path if lesson else None,
            exercise.line,
        ) from None
    if not isinstance(verdict, Verdict):
        raise LessonError(
            f"check {quoted(exercise.check)} is not a single check call",
            lesson.path if lesson else None,
            exercise.line,
        )
    if not verdict.correct and exercise.hint:
        return Verdict(False, f"{verdict.message}. Hint: {exercise.hint}")
    return verdict
