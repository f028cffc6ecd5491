"""Conv1d and conv2d traced cell by cell: each output cell's window, products and sums."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..plain_text import plural
from .arithmetic import SizeReport
from .stepper import (
    MODES,
    Step,
    StepperError,
    Trace,
    WindowCell,
    format_number,
)
from .trace_inputs import (
    as_array,
    bias_per_filter,
    frozen,
    padding_per_axis,
    per_axis,
)
from .trace_limits import (
    check_terms,
    checked_size_reports,
    overflow_error,
)


def _conv_trace(
    operation: str,
    signal: np.ndarray,
    kernel: np.ndarray,
    bias: float | Sequence[float],
    stride: Any,
    padding: Any,
    dilation: Any,
    mode: str,
) -> Trace:
    """The shared conv engine: signal (C, *spatial), kernel (K, C, *window), any spatial rank."""
    if mode not in MODES:
        raise StepperError(f"mode must be 'correlation' or 'convolution', got {mode!r}")
    axes = signal.ndim - 1
    filters, channels = kernel.shape[:2]
    if channels != signal.shape[0]:
        raise StepperError(
            f"kernel has {plural(channels, 'input channel')} but the input has {signal.shape[0]}"
        )
    biases = bias_per_filter(bias, filters)
    strides = per_axis(stride, "stride", axes, 1)
    dilations = per_axis(dilation, "dilation", axes, 1)
    window = kernel.shape[2:]
    reports = checked_size_reports(
        signal.shape[1:],
        window,
        strides,
        padding_per_axis(padding, axes),
        dilations,
        False,
        "kernel",
    )
    check_terms(
        filters * math.prod(r.output for r in reports),
        channels * math.prod(window),
        "products",
    )
    flipped = mode == "convolution"
    used = _flipped(kernel) if flipped else kernel
    output = np.zeros((filters, *(r.output for r in reports)))
    steps = []
    for index, out_index in enumerate(np.ndindex(output.shape)):
        step = _conv_step(index, out_index, signal, used, reports, biases[out_index[0]])
        output[out_index] = step.value
        steps.append(step)
    return Trace(
        operation=operation,
        input=frozen(signal),
        kernel=frozen(kernel),
        used_kernel=frozen(used),
        padding=tuple(r.padding for r in reports),
        stride=strides,
        dilation=dilations,
        mode=mode,
        output=frozen(output),
        steps=tuple(steps),
        size_reports=reports,
        flipped=flipped,
    )


def _flipped(kernel: np.ndarray) -> np.ndarray:
    """The kernel (K, C, *window) reversed on every spatial axis."""
    # True convolution reads the kernel backwards: B[i-s, j-t] is the flipped kernel slid forward.
    axes = kernel.ndim - 2
    return kernel[(slice(None), slice(None)) + (slice(None, None, -1),) * axes]


def _conv_step(
    index: int,
    out_index: tuple[int, ...],
    signal: np.ndarray,
    used: np.ndarray,
    reports: Sequence[SizeReport],
    bias: float,
) -> Step:
    """Output cell out_index = (filter, *position): each channel's window times the kernel used,
    summed in order, plus the filter's bias."""
    k, *out_at = out_index
    cells = []
    running = 0.0
    channel_sums = []
    for c in range(used.shape[1]):
        channel_sum = 0.0
        for offset in np.ndindex(*used.shape[2:]):
            at = tuple(
                o * r.stride - r.padding[0] + t * r.dilation
                for o, t, r in zip(out_at, offset, reports, strict=True)
            )
            inside = all(0 <= a < r.size for a, r in zip(at, reports, strict=True))
            # the index tuples are built apart: mypy reads x[(a, *b)] as 3.11 syntax
            pixel = (c, *at)
            value = float(signal[pixel]) if inside else 0.0
            tap = (k, c, *offset)
            weight = float(used[tap])
            product = value * weight
            running += product
            channel_sum += product
            if not math.isfinite(product):
                what = f"{format_number(value)} x {format_number(weight)}"
                raise overflow_error(out_index, what)
            if not (math.isfinite(running) and math.isfinite(channel_sum)):
                raise overflow_error(out_index, "the sum of products")
            cells.append(WindowCell(pixel, not inside, value, weight, product, running))
        channel_sums.append(channel_sum)
    value = running + bias
    if not math.isfinite(value):
        raise overflow_error(out_index, f"the sum plus bias {format_number(bias)}")
    return Step(index, out_index, tuple(cells), tuple(channel_sums), bias, value)


def conv2d_trace(
    input: Any,
    kernel: Any,
    *,
    bias: float | Sequence[float] = 0.0,
    stride: int | Sequence[int] = 1,
    padding: int | str | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    mode: str = "correlation",
) -> Trace:
    """Trace a 2-D conv. input (H, W) or (C_in, H, W); kernel (kh, kw), (C_in, ..) or (K, C_in, ..).

    'correlation' is what frameworks call convolution; 'convolution' flips the kernel on both axes,
    as in (A*B)_ij = sum_s sum_t A_st B_(i-s, j-t).
    """
    image = as_array(input, "input", (2, 3), "2-D (H, W) or 3-D (C, H, W)")
    weights = as_array(kernel, "kernel", (2, 3, 4), "(kh, kw), (C_in, kh, kw) or (K, C_in, kh, kw)")
    image = image.reshape((-1, *image.shape[-2:]))
    weights = (
        weights.reshape((-1, *weights.shape[-3:])) if weights.ndim > 2 else weights[None, None]
    )
    return _conv_trace("conv2d", image, weights, bias, stride, padding, dilation, mode)


def conv1d_trace(
    signal: Any,
    kernel: Any,
    *,
    bias: float | Sequence[float] = 0.0,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    mode: str = "correlation",
) -> Trace:
    """Trace a 1-D conv. signal (L,) or (C_in, L); kernel (k,), (C_in, k) or (K, C_in, k)."""
    samples = as_array(signal, "signal", (1, 2), "1-D (L,) or 2-D (C, L)")
    weights = as_array(kernel, "kernel", (1, 2, 3), "(k,), (C_in, k) or (K, C_in, k)")
    samples = samples.reshape((-1, samples.shape[-1]))
    weights = (
        weights.reshape((-1, *weights.shape[-2:])) if weights.ndim > 1 else weights[None, None]
    )
    return _conv_trace("conv1d", samples, weights, bias, stride, padding, dilation, mode)
