"""Reading what a trace is built from: grids typed as text, arrays, per-axis settings, biases."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..plain_text import plural
from .stepper import StepperError, format_number

_ITEM_SEPARATOR = re.compile(r"\s*,\s*|\s+")


def parse_grid(text: str, name: str = "input") -> np.ndarray:
    """'1 2; 3 4' -> 2-D array; '1 2; 3 4 | 5 6; 7 8' -> (channels, rows, cols).

    Numbers are separated by spaces or commas, rows by ';' or new lines, channels by '|'. Blank
    lines and a ';' ending a line are layout; an empty row between two ';' or an empty item
    beside a comma is refused, naming the grid and where, since it is almost always a slip.
    """
    blocks = text.split("|")
    channels: list[list[list[float]]] = []
    for channel_number, block in enumerate(blocks, 1):
        where = f"{name} channel {channel_number}, " if len(blocks) > 1 else f"{name} "
        if not block.strip(" \t\n\r;,"):
            raise StepperError(f"{where.removesuffix(', ').rstrip()} is empty")
        rows: list[list[float]] = []
        for line in block.splitlines():
            if not line.strip():
                continue  # blank lines are layout, not rows
            pieces = line.split(";")
            if len(pieces) > 1 and not pieces[-1].strip():
                pieces.pop()  # one ';' closing a line is harmless: '1 2;' then a new line
            for row_text in pieces:
                place = f"{where}row {len(rows) + 1}"
                if not row_text.strip():
                    raise StepperError(f"{place} is empty: remove the extra ';'")
                items = _ITEM_SEPARATOR.split(row_text.strip())
                row: list[float] = []
                for item_number, item in enumerate(items, 1):
                    at = f"{place}, item {item_number}"
                    if not item:
                        raise StepperError(f"{at} is empty: remove the extra ','")
                    try:
                        number = float(item)
                    except ValueError:
                        raise StepperError(f"{at}: {item!r} is not a number") from None
                    if not math.isfinite(number):
                        raise StepperError(f"{at}: {item!r} is not a finite number")
                    row.append(number)
                if rows and len(row) != len(rows[0]):
                    raise StepperError(
                        f"{place} has {plural(len(row), 'number')}, row 1 has {len(rows[0]):,}"
                    )
                rows.append(row)
        if channels and (len(rows), len(rows[0])) != (len(channels[0]), len(channels[0][0])):
            raise StepperError(
                f"{name} channel {channel_number} is {len(rows)}x{len(rows[0])} "
                f"but channel 1 is {len(channels[0])}x{len(channels[0][0])}"
            )
        channels.append(rows)
    grid = np.array(channels, dtype=float)
    return grid[0] if len(channels) == 1 else grid


def as_array(value: Any, name: str, allowed_dims: Sequence[int], layout: str) -> np.ndarray:
    """value as a float array of one of allowed_dims dimensions, every number finite."""
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise StepperError(f"{name} must be a grid of numbers with rows of equal length") from None
    if array.size == 0:
        raise StepperError(f"{name} is empty")
    if array.ndim not in allowed_dims:
        raise StepperError(f"{name} must be {layout}, got {array.ndim}-D")
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        if array.ndim == 0:
            raise StepperError(f"{name} must be a finite number, got {format_number(float(array))}")
        raise StepperError(f"{name} has a non-finite number at {tuple(int(i) for i in bad[0])}")
    return array


def _whole(value: Any, name: str, least: int) -> int:
    """An int (not a bool or a float) of at least `least`.

    fields.read_whole reads typed text; this checks a value passed to a trace function, which
    str() could not even write out past 4,300 digits, so the two stay apart."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise StepperError(f"{name} must be a whole number, got {value!r}")
    if value < least:
        raise StepperError(f"{name} must be at least {least}")
    return int(value)


def per_axis(value: Any, name: str, axes: int, least: int) -> tuple[int, ...]:
    """One whole number for every axis, or one per axis (a pair (h, w) in 2-D)."""
    if not isinstance(value, (tuple, list)):
        return (_whole(value, name, least),) * axes
    if len(value) != axes:
        shape = "one whole number" if axes == 1 else "one whole number or a pair (h, w)"
        raise StepperError(f"{name} must be {shape}, got {value!r}")
    return tuple(_whole(v, name, least) for v in value)


def padding_per_axis(padding: Any, axes: int) -> tuple[int | str, ...]:
    """A padding per axis: a mode ('same') for every axis, or whole numbers as per_axis reads."""
    if isinstance(padding, str):
        return (padding,) * axes
    return per_axis(padding, "padding", axes, 0)


def frozen(array: np.ndarray) -> np.ndarray:
    """A read-only float copy, so a trace's arrays cannot change under it."""
    array = np.array(array, dtype=float)
    array.flags.writeable = False
    return array


def bias_per_filter(bias: float | Sequence[float], filters: int) -> list[float]:
    """One bias for each filter: a single bias is shared by all of them."""
    values = np.atleast_1d(as_array(bias, "bias", (0, 1), "a number or one per filter"))
    if values.size == 1:
        return [float(values[0])] * filters
    if values.size != filters:
        raise StepperError(f"bias has {values.size} values but there are {filters} filters")
    return [float(v) for v in values]
