"""2-D max, average and Lp pooling traced cell by cell, with PyTorch's semantics."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .arithmetic import SizeReport
from .stepper import (
    POOL_KINDS,
    Step,
    StepperError,
    Trace,
    WindowCell,
    format_number,
)
from .trace_inputs import as_array, frozen, per_axis
from .trace_limits import (
    check_pool_padding_rule,
    check_terms,
    checked_size_reports,
    overflow_error,
)


def pool2d_trace(
    input: Any,
    *,
    kind: str = "max",
    size: int | Sequence[int] = 2,
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    ceil_mode: bool = False,
    norm_type: float = 2.0,
    count_include_pad: bool = True,
) -> Trace:
    """Trace 2-D pooling of (H, W) or (C, H, W) with PyTorch's semantics, channels independently.

    kind is 'max', 'avg' or 'lp' ('l2' means lp with norm_type 2). Lp pooling sums |x|^p, which
    equals torch's lp_pool2d for even p or non-negative input; partial windows (ceil_mode) sum only
    the real cells, where torch rescales them to the full window size.
    """
    if kind not in POOL_KINDS:
        raise StepperError(f"pooling kind must be one of {', '.join(POOL_KINDS)}, got {kind!r}")
    if kind == "l2":
        kind, norm_type = "lp", 2.0
    image = as_array(input, "input", (2, 3), "2-D (H, W) or 3-D (C, H, W)")
    image = image.reshape((-1, *image.shape[-2:]))
    window = per_axis(size, "size", 2, 1)
    strides = window if stride is None else per_axis(stride, "stride", 2, 1)
    if isinstance(padding, str):
        check_pool_padding_rule(window[0], padding)
    pads = per_axis(padding, "padding", 2, 0)
    if kind == "lp":
        _check_lp(pads, norm_type)
    for pad, k in zip(pads, window, strict=True):
        check_pool_padding_rule(k, pad)
    reports = checked_size_reports(
        image.shape[1:], window, strides, pads, (1, 1), ceil_mode, "window"
    )
    rows, cols = reports
    check_terms(image.shape[0] * rows.output * cols.output, math.prod(window), "window cells")
    output = np.zeros((image.shape[0], rows.output, cols.output))
    steps = []
    power = float(norm_type) if kind == "lp" else None
    for index, out_index in enumerate(np.ndindex(output.shape)):
        cells, running, argmax = _pool_window(image, out_index, window, reports, kind, norm_type)
        value, divisor = _pooled(kind, running, cells, count_include_pad, norm_type)
        output[out_index] = value
        steps.append(Step(index, out_index, tuple(cells), (), 0.0, value, argmax, divisor, power))
    return Trace(
        operation=f"{kind}pool",
        input=frozen(image),
        kernel=None,
        used_kernel=None,
        padding=tuple(r.padding for r in reports),
        stride=strides,
        dilation=(1, 1),
        mode=None,
        output=frozen(output),
        steps=tuple(steps),
        size_reports=reports,
        flipped=False,
        ceil_mode=ceil_mode,
    )


def _check_lp(pads: Sequence[int], norm_type: float) -> None:
    """Lp pooling as torch's lp_pool2d allows it: no padding, a positive finite p."""
    if any(pads):
        raise StepperError("lp pooling takes no padding (torch's lp_pool2d has none)")
    if not (isinstance(norm_type, (int, float)) and math.isfinite(norm_type) and norm_type > 0):
        raise StepperError(f"norm_type must be a positive number, got {norm_type!r}")


def _pool_window(
    image: np.ndarray,
    out_index: tuple[int, ...],
    window: Sequence[int],
    reports: Sequence[SizeReport],
    kind: str,
    norm_type: float,
) -> tuple[list[WindowCell], float, int | None]:
    """The window of output cell (c, i, j) in order, its last running figure (max, sum, or sum
    of |x|^p) and, for max pooling, the index of its first largest cell."""
    c, i, j = out_index
    rows, cols = reports
    cells: list[WindowCell] = []
    running = -math.inf if kind == "max" else 0.0
    argmax = None
    for di, dj in np.ndindex(*window):
        r = i * rows.stride - rows.padding[0] + di
        q = j * cols.stride - cols.padding[0] + dj
        if r >= rows.size + rows.padding[1] or q >= cols.size + cols.padding[1]:
            continue  # a ceil_mode window hanging past the padded edge has no cell there
        inside = 0 <= r < rows.size and 0 <= q < cols.size
        if kind == "max":
            value = float(image[c, r, q]) if inside else -math.inf
            if value > running:  # strict: the first maximum wins, as in PyTorch
                running, argmax = value, len(cells)
        elif kind == "avg":
            value = float(image[c, r, q]) if inside else 0.0
            running += value
        else:
            value = float(image[c, r, q])
            try:
                term = abs(value) ** norm_type
            except OverflowError:
                term = math.inf
            running += term
            if not math.isfinite(running):
                p = format_number(norm_type)
                what = f"|{format_number(value)}|^{p}" if value < 0 else None
                what = what or f"{format_number(value)}^{p}"
                raise overflow_error((c, i, j), what if math.isinf(term) else f"the sum of |x|^{p}")
        cells.append(WindowCell((c, r, q), not inside, value, None, None, running))
    return cells, running, argmax


def _pooled(
    kind: str,
    running: float,
    cells: Sequence[WindowCell],
    count_include_pad: bool,
    norm_type: float,
) -> tuple[float, int | None]:
    """The window's output value, and for avg pooling what its sum was divided by."""
    divisor = None
    if kind == "max":
        value = running
    elif kind == "avg":
        real = sum(not cell.is_padding for cell in cells)
        divisor = len(cells) if count_include_pad else real
        value = running / divisor
        if not math.isfinite(value):
            # the sum left the float range but the mean cannot: divide first, then add
            value = math.fsum(cell.value / divisor for cell in cells)
    else:
        value = running ** (1.0 / norm_type)
    return value, divisor
