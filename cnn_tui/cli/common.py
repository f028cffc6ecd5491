"""Shared pieces of the command: exit codes, UsageError, the console, argument types."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from ..core.plain_text import visible
from ..core.stacks.shapes import StackError, parse_shape
from ..core.stacks.stack import Stack
from ..core.training.train_config import ConfigError, parse_betas
from ..core.views.fields import FieldError, read_padding, read_whole

T = TypeVar("T")

EXIT_BAD_INPUT = 2


class UsageError(ValueError):
    """Bad command-line input: printed as one line, exit status 2."""


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _console(stderr: bool = False):
    # rich is imported here, not at module top, so `cnn-tui --help` stays quick
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _error(message: str) -> None:
    # messages quote file names and typed text: their control characters are shown, not sent
    shown = visible(message, keep="\n")
    _console(stderr=True).print(f"cnn-tui: {shown}", markup=False, style="red", soft_wrap=True)


def _text(value: str, limit: int = 60):
    """A table cell: plain text (never markup), hidden characters visible, cut to limit."""
    from rich.text import Text

    value = visible(value)
    return Text(value if len(value) <= limit else value[: limit - 3] + "...")


def _print_json(data: Any) -> None:
    from ..core.training.metrics import json_safe

    # strict JSON: a diverged run's NaN losses are written as null
    sys.stdout.write(json.dumps(json_safe(data), indent=2, allow_nan=False) + "\n")


def _argument(read: Callable[[], T]) -> T:
    """A field reader's result; its FieldError as argparse's (argparse names the flag)."""
    try:
        return read()
    except FieldError as exc:
        raise argparse.ArgumentTypeError(exc.reason) from None


def _padding(text: str) -> int | str:
    return _argument(lambda: read_padding("padding", text))


def _positive(text: str) -> int:
    return _argument(lambda: read_whole("value", text, minimum=1))


def _whole_in(least: int, most: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `least` to `most` (argparse names the flag)."""

    def read(text: str) -> int:
        read_whole("value", text, minimum=1 if least == 1 else None)  # 0: "must be at least 1"
        return read_whole("value", text, minimum=least, maximum=most)

    def whole(text: str) -> int:
        return _argument(lambda: read(text))

    return whole


def _shape(text: str):
    try:
        return parse_shape(text)
    except StackError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _load_stack(model: str, input_shape) -> Stack:
    from ..core.stacks.zoo import resolve_stack

    return resolve_stack(model, input_shape)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _count(text: str) -> int:
    return _argument(lambda: read_whole("value", text, minimum=0))


def _betas(text: str) -> tuple[float, float]:
    try:
        return parse_betas(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"


def _percent(fraction: float | None) -> str:
    return "-" if fraction is None else f"{fraction * 100:.2f}"
