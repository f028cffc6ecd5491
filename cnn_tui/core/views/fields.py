"""Reading typed fields and arguments: one FieldError, whole numbers, paddings."""

from __future__ import annotations

import math
import re
from typing import Literal, overload

from ..convolution.arithmetic import PADDING_MODES

__all__ = [
    "PADDING_MODES",
    "FieldError",
    "read_bias",
    "read_padding",
    "read_whole",
    "read_whole_or_pair",
]

_WHOLE = re.compile(r"[-+]?[0-9]+")
"""ASCII digits only: int() would also take '1_000' and other scripts' digits."""
_PAIR = re.compile(r"\s*[-+0-9]+\s*[xX×]\s*[-+0-9]+\s*")
"""HxW, such as 3x1: a setting that differs between height and width."""


class FieldError(ValueError):
    """A typed value that cannot be used, with the field it came from: 'kernel: ...'."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        """The field at fault, as the student sees it named ('kernel', 'in channels')."""
        self.reason = reason
        """What is wrong with it, without the field name."""
        super().__init__(f"{field}: {reason}")


def read_whole(
    field: str, text: str, *, minimum: int | None = 1, maximum: int | None = None
) -> int:
    """A whole number from minimum to maximum (None: no limit), or a FieldError naming the field."""
    value = text.strip()
    if not value:
        raise FieldError(field, "expected a whole number, got nothing")
    try:
        if not _WHOLE.fullmatch(value):
            raise ValueError(value)
        number = int(value)
    except ValueError:  # also int()'s limit on thousands of digits
        raise FieldError(field, f"expected a whole number, got {value!r}") from None
    low = minimum if minimum is not None else number
    high = maximum if maximum is not None else number
    if not low <= number <= high:
        if minimum is not None and maximum is not None:
            limit = f"from {minimum} to {maximum:,}"
        else:
            limit = f"at least {minimum}" if minimum is not None else f"at most {maximum:,}"
        raise FieldError(field, f"must be {limit}, got {number}")
    return number


def read_whole_or_pair(field: str, text: str, *, minimum: int | None = 1) -> int | tuple[int, int]:
    """A whole number, or HxW (3x1) read as (height, width); a square pair is the one number."""
    if _PAIR.fullmatch(text):
        height, width = (
            read_whole(field, side, minimum=minimum) for side in re.split(r"[xX×]", text)
        )
        return height if height == width else (height, width)
    return read_whole(field, text, minimum=minimum)


@overload
def read_padding(field: str, text: str, *, pairs: Literal[False] = False) -> int | str: ...
@overload
def read_padding(field: str, text: str, *, pairs: bool) -> int | tuple[int, int] | str: ...
def read_padding(field: str, text: str, *, pairs: bool = False) -> int | tuple[int, int] | str:
    """A padding: a whole number of 0 or more (or HxW when pairs), or one of valid / same / full."""
    value = text.strip().lower()
    if value in PADDING_MODES:
        return value
    words = "/".join(PADDING_MODES)
    if not value:
        raise FieldError(field, f"expected a whole number or {words}, got nothing")
    try:
        number = (
            read_whole_or_pair(field, value, minimum=None)
            if pairs
            else read_whole(field, value, minimum=None)
        )
    except FieldError:
        raise FieldError(
            field, f"expected a whole number or {words}, got {text.strip()!r}"
        ) from None
    for side in number if isinstance(number, tuple) else (number,):
        if side < 0:
            raise FieldError(field, f"must be 0 or more, got {side}")
    return number


def read_bias(field: str, text: str) -> tuple[float, ...]:
    """Biases like '1' or '1, 0' (blank: one bias of 0); each must be a finite number."""
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        return (0.0,)
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise FieldError(field, f"expected numbers like 1 or 1, 0 - got {text.strip()!r}") from None
    for part, value in zip(parts, values, strict=True):
        if not math.isfinite(value):
            raise FieldError(field, f"{part!r} is not a finite number")
    return values
