"""Refusals before a run starts (a stack that does not fit the dataset, a shift too far, too
little memory) and the words for a run that cannot go on (a NaN loss, out of memory in set-up)."""

from __future__ import annotations

import math

from ..stacks.stack import Stack
from .devices import TrainingError, _first_line, available_memory
from .train_config import TrainConfig


def _check_fits(stack: Stack, classes: int, title: str) -> None:
    from ..stacks.tally import describe_shape

    out = stack.output_shape()
    if tuple(out) != (classes,):
        raise TrainingError(
            f"the stack ends in {describe_shape(out)} values but {title} has {classes} classes: "
            f"end it with linear({classes}) (after a flatten)"
        )


def _known_classes(config: TrainConfig, count: int) -> tuple[int, ...] | None:
    """The --classes of a config, each checked against the dataset's class count."""
    if config.classes is None:
        return None
    wrong = [c for c in config.classes if c >= count]
    if wrong:
        raise TrainingError(
            f"class {wrong[0]} is not in {config.dataset}: its classes are 0-{count - 1}"
        )
    return config.classes


def _nonfinite_message(
    value: float, step: int, epoch: int, iteration: int, lr: float, loss: str = "loss"
) -> str:
    """step, epoch and iteration count from 0, as the lecture's log lines do ('Train Epoch: 0,
    iteration: 0' is the first step), and the message says so."""
    what = "NaN" if math.isnan(value) else "infinite"
    where = "after" if loss != "loss" else "at"
    return (
        f"{loss} became {what} {where} step {step} (epoch {epoch}, iteration {iteration}; "
        f"counted from 0 like the log lines) with learning rate {lr:g}: the rate is probably "
        f"too high for this stack; try {lr / 10:g}, or add batch norm"
    )


def _setup_out_of_memory_message(
    device: str, stack: Stack | None, config: TrainConfig, exc: BaseException
) -> str:
    """Out of memory before the first step: the network's size by the builder's tally."""
    from ..stacks.tally import short_bytes, tally

    copies = _copies(config)
    size = ""
    if stack is not None:
        try:
            totals = tally(stack).totals
            size = (
                f" ({totals.params:,} parameters, {short_bytes(totals.parameter_bytes)} a copy "
                "by the builder's tally)"
            )
        except Exception:  # the figure is advice only
            size = ""
    # torch's CUDA message says how much it tried to get; the CPU allocator's names C++ files
    said = "" if device == "cpu" else f": {_first_line(exc)}"
    advice = "try a smaller stack"
    if len(config.optimizers) > 1:
        advice += ", fewer optimizers"
    if device != "cpu":
        advice += " or the CPU"
    plural = "copy" if copies == 1 else "copies"
    return (
        f"{device} out of memory while setting up the dataset and {copies} {plural} of the "
        f"network{size}{said}; {advice}"
    )


def _copies(config: TrainConfig) -> int:
    """Copies of the network a run holds: the one it starts from, then each optimizer's own
    (and its weight average)."""
    return 1 + len(config.optimizers) * (2 if config.ema_decay else 1)


def _check_shift(config: TrainConfig, stack: Stack) -> None:
    shift = config.augment.shift
    if not shift or len(stack.input_shape) != 3:
        return
    _, height, width = stack.input_shape
    if shift >= min(height, width):
        raise TrainingError(
            f"augmentation shift={shift} can move the {height}x{width} images wholly out of the "
            f"picture: use a shift below {min(height, width)}"
        )


def _check_ram(config: TrainConfig, stack: Stack) -> None:
    """Refuse a network whose copies cannot fit in the memory free now (before torch tries,
    and the kernel perhaps kills the process instead of saying no)."""
    from ..stacks.tally import short_bytes, tally

    free = available_memory()
    if free is None:
        return
    totals = tally(stack).totals
    copies = _copies(config)
    need = totals.parameter_bytes * copies
    if need > free:
        plural = "copy" if copies == 1 else "copies"
        raise TrainingError(
            f"the network has {totals.params:,} parameters, {short_bytes(totals.parameter_bytes)} "
            f"a copy by the builder's tally; the run needs {copies} {plural} "
            f"({short_bytes(need)}) and {short_bytes(free)} of memory is free: "
            "try a smaller stack (fewer filters, a narrower linear layer)"
        )
