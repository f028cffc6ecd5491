"""How the stepper fits a step into a small terminal: which channels a page shows, and the text
plot of a 1-D signal against its output (plain data; the screen only draws it)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np

INPUT_MARK = "·"
"""A reading of the input signal in the plot."""
OUTPUT_MARK = "●"
"""An output value computed so far, drawn under the newest reading its window covers."""


def channels_that_fit(widths: Sequence[int], fixed: int, available: int, start: int) -> range:
    """The channel columns shown from `start` on: as many as fit beside `fixed` columns of
    output, and always at least one (a page never shows nothing)."""
    count = len(widths)
    start = max(0, min(start, count - 1)) if count else 0
    used = fixed
    end = start
    while end < count and (end == start or used + widths[end] <= available):
        used += widths[end]
        end += 1
    return range(start, end)


def page_starts(widths: Sequence[int], fixed: int, available: int) -> list[int]:
    """The first channel of every page, in order (one page when everything fits)."""
    starts = [0]
    while True:
        shown = channels_that_fit(widths, fixed, available, starts[-1])
        if shown.stop >= len(widths):
            return starts
        starts.append(shown.stop)


def signal_plot(
    signal: Sequence[float],
    output: Sequence[float],
    *,
    offset: int,
    stride: int,
    cell: int,
    height: int = 3,
) -> list[str]:
    """Rows of a small plot, top row first: column i sits under reading i of a row of cells
    `cell` wide, one space apart. The reading is INPUT_MARK; output t (NaN until computed) is
    OUTPUT_MARK under reading t*stride + offset, the newest one its window covers."""
    width = len(signal) * (cell + 1)
    rows = [[" "] * width for _ in range(height)]
    placed: list[tuple[int, float, str]] = [
        (i * (cell + 1) + max(cell - 3, 0), v, INPUT_MARK) for i, v in enumerate(signal)
    ]
    for t, value in enumerate(output):
        where = t * stride + offset
        if 0 <= where < len(signal) and not math.isnan(value):
            placed.append((where * (cell + 1) + cell - 1, value, OUTPUT_MARK))
    finite = [v for _, v, _ in placed if math.isfinite(v)]
    if not finite:
        return ["".join(row).rstrip() for row in rows]
    low, high = min(finite), max(finite)
    span = high - low or 1.0
    for x, value, mark in placed:
        if math.isfinite(value) and x < width:
            level = round((value - low) / span * (height - 1))
            rows[height - 1 - level][x] = mark
    return ["".join(row).rstrip() for row in rows]


def wrap_sum(line: str, width: int) -> list[str]:
    """A sum wrapped to width (unwrapped while the width is unknown), '= result' kept whole on
    its last line and the following lines indented."""
    sum_text, equals, result = line.rpartition(" = ")
    if width < 10 or len(line) <= width or not equals:
        return [line]
    glued = f"{sum_text}\u00a0=\u00a0{result}"  # textwrap breaks only at ASCII spaces
    lines = textwrap.wrap(glued, width, subsequent_indent="  ", break_on_hyphens=False)
    return [text.replace("\u00a0", " ") for text in lines]


def resized(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Crop or zero-pad the trailing axes of array to shape."""
    out = np.zeros(array.shape[: array.ndim - len(shape)] + shape)
    common = tuple(
        slice(0, min(a, b)) for a, b in zip(array.shape[-len(shape) :], shape, strict=True)
    )
    where: Any = (Ellipsis, *common)
    out[where] = array[where]
    return out


def with_channels(array: np.ndarray, count: int) -> np.ndarray:
    """Keep the first `count` slices of axis 0; new ones are small random integers."""
    if array.shape[0] >= count:
        return array[:count].copy()
    rng = np.random.default_rng(array.shape[0])
    extra = rng.integers(-1, 3, size=(count - array.shape[0], *array.shape[1:]))
    return np.concatenate([array, extra.astype(float)])
