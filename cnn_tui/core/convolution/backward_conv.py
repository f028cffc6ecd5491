"""The backward pass of a traced conv1d or conv2d, cell by cell: dL/dW, dL/dX (scattered from
each window, and as a full convolution of dL/dY with the flipped kernel) and dL/db."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .arithmetic import size_report
from .backward_steps import (
    Contribution,
    GradStep,
    GradTerm,
    ScatterStep,
    Upstream,
    gather_input_steps,
    upstream_gradient,
)
from .conv_trace import _conv_step
from .stepper import StepperError, Trace
from .trace_inputs import frozen
from .trace_limits import check_terms

FLIP_NOTE = (
    "true convolution: the gradient is for the kernel as typed, the flip of the gradient of the "
    "kernel used"
)


@dataclass(frozen=True, eq=False)
class FullConvolution:
    """dL/dX as a forward pass: dL/dY spread by the stride, padded so the flipped kernel slides
    over every position, convolved, then cropped by the forward padding."""

    spread: np.ndarray
    """(K, *spread): dL/dY with stride - 1 zeros between neighbours."""
    padding: tuple[tuple[int, int], ...]
    """(before, after) per axis around the spread: before = dilation*(kernel - 1); after adds
    `leftover` to that."""
    leftover: tuple[int, ...]
    """Per axis, the padded-input cells after the last window (a stride that does not divide)."""
    padded: np.ndarray
    """(K, *padded): the spread grid with that padding, the input of the full convolution."""
    kernel: np.ndarray
    """(C, K, *window): the kernel used, flipped on every spatial axis, filters and channels
    swapped. In true-convolution mode this is the kernel as typed."""
    dilation: tuple[int, ...]
    """As in the forward pass."""
    trace: Trace
    """The full convolution (cross-correlation of padded with kernel), one step per cell of the
    padded input; its channel_sums are per filter."""
    crop: tuple[tuple[int, int], ...]
    """The forward padding cut off each axis: (before, after)."""
    grad_input: np.ndarray
    """(C, *input): the trace's output cropped, equal to the scattered dL/dX."""

    def is_cropped(self, position: Sequence[int]) -> bool:
        """True when a cell (channel, *position) of trace.output is forward padding, cut off."""
        return any(
            at < before or at >= size - after
            for at, (before, after), size in zip(
                position[1:], self.crop, self.trace.output.shape[1:], strict=True
            )
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "spread": self.spread.tolist(),
            "padding": [list(pair) for pair in self.padding],
            "leftover": list(self.leftover),
            "padded": self.padded.tolist(),
            "kernel": self.kernel.tolist(),
            "dilation": list(self.dilation),
            "crop": [list(pair) for pair in self.crop],
            "full": self.trace.output.tolist(),
            "grad_input": self.grad_input.tolist(),
            "steps": [step.to_dict() for step in self.trace.steps],
        }


@dataclass(frozen=True, eq=False)
class ConvBackward:
    """The backward pass of a conv trace: every gradient with the steps that sum it."""

    forward: Trace
    upstream: Upstream
    grad_weight: np.ndarray
    """(K, C, *window): dL/dW for the kernel as typed (see weight_note)."""
    grad_bias: np.ndarray
    """(K,): dL/db, the sum of each filter's dL/dY."""
    grad_input: np.ndarray
    """(C, *input): dL/dX."""
    weight_steps: tuple[GradStep, ...]
    """One per typed kernel cell (filter, channel, row, column): input under it x dL/dY."""
    bias_steps: tuple[GradStep, ...]
    """One per filter."""
    input_steps: tuple[GradStep, ...]
    """One per input cell: the weight each covering window met x its dL/dY."""
    scatter_steps: tuple[ScatterStep, ...]
    """One per output cell: its dL/dY times each weight, added to the cells its window read."""
    full_convolution: FullConvolution
    weight_note: str
    """What grad_weight is the gradient of ('' in cross-correlation mode)."""

    def to_dict(self) -> dict[str, Any]:
        trace = self.forward
        return {
            "operation": trace.operation,
            "mode": trace.mode,
            "flipped": trace.flipped,
            "input": trace.input.tolist(),
            "kernel": None if trace.kernel is None else trace.kernel.tolist(),
            "output": trace.output.tolist(),
            "upstream": self.upstream.to_dict(),
            "grad_input": self.grad_input.tolist(),
            "grad_weight": self.grad_weight.tolist(),
            "grad_weight_note": self.weight_note
            or "the gradient with respect to the kernel as typed",
            "grad_bias": self.grad_bias.tolist(),
            "weight_steps": [step.to_dict() for step in self.weight_steps],
            "bias_steps": [step.to_dict() for step in self.bias_steps],
            "input_steps": [step.to_dict() for step in self.input_steps],
            "scatter_steps": [step.to_dict() for step in self.scatter_steps],
            "full_convolution": self.full_convolution.to_dict(),
        }


def conv_backward(trace: Trace, grad: Any = None, *, from_loss: bool = False) -> ConvBackward:
    """The backward pass of a conv1d/conv2d trace for dL/dY = grad (all ones when None; 2Y with
    from_loss, for L = sum of squares of the output)."""
    if trace.kernel is None or trace.used_kernel is None:
        raise StepperError("conv_backward needs a conv trace; use pool_backward for pooling")
    upstream = upstream_gradient(trace, grad, from_loss=from_loss)
    scatter = _scatter_steps(trace, upstream.values)
    input_steps, grad_input = gather_input_steps(trace, scatter)
    weight_steps, grad_weight = _weight_steps(trace, upstream.values)
    bias_steps = tuple(
        _bias_step(k, upstream.values, trace.output.shape) for k in range(trace.kernel.shape[0])
    )
    return ConvBackward(
        forward=trace,
        upstream=upstream,
        grad_weight=grad_weight,
        grad_bias=frozen(np.array([step.value for step in bias_steps])),
        grad_input=grad_input,
        weight_steps=weight_steps,
        bias_steps=bias_steps,
        input_steps=input_steps,
        scatter_steps=scatter,
        full_convolution=full_convolution(trace, upstream.values),
        weight_note=FLIP_NOTE if trace.flipped else "",
    )


def _window_at(trace: Trace, out_at: Sequence[int], tap: Sequence[int]) -> tuple[int, ...]:
    """The input position (spatial, may lie in the padding) tap meets in window out_at."""
    return tuple(
        o * r.stride - r.padding[0] + t * r.dilation
        for o, t, r in zip(out_at, tap, trace.size_reports, strict=True)
    )


def _inside(trace: Trace, at: Sequence[int]) -> bool:
    return all(0 <= a < r.size for a, r in zip(at, trace.size_reports, strict=True))


def _scatter_steps(trace: Trace, upstream: np.ndarray) -> tuple[ScatterStep, ...]:
    """Each output cell's dL/dY times every weight of its window, accumulated into the cells."""
    used = trace.used_kernel
    assert used is not None
    totals: dict[tuple[int, ...], float] = {}
    steps = []
    for index, out_index in enumerate(np.ndindex(upstream.shape)):
        k, *out_at = out_index
        g = float(upstream[out_index])
        sent = []
        for c in range(used.shape[1]):
            for tap in np.ndindex(*used.shape[2:]):
                at = _window_at(trace, out_at, tap)
                where = (c, *at)
                kernel_tap = (k, c, *tap)
                weight = float(used[kernel_tap])
                amount = weight * g
                totals[where] = totals.get(where, 0.0) + amount
                inside = _inside(trace, at)
                sent.append(
                    Contribution(where, not inside, weight, kernel_tap, g, amount, totals[where])
                )
        steps.append(ScatterStep(index, out_index, g, tuple(sent)))
    return tuple(steps)


def _weight_steps(trace: Trace, upstream: np.ndarray) -> tuple[tuple[GradStep, ...], np.ndarray]:
    """Per typed kernel cell: sum over output cells of (input under the weight) x dL/dY."""
    kernel = trace.kernel
    assert kernel is not None
    window = kernel.shape[2:]
    grad = np.zeros(kernel.shape)
    steps = []
    for index, position in enumerate(np.ndindex(kernel.shape)):
        k, c, *typed = position
        # in true convolution the typed cell s is multiplied as the used kernel's tap n-1-s
        tap = (
            tuple(n - 1 - s for n, s in zip(window, typed, strict=True)) if trace.flipped else typed
        )
        terms = []
        for out_at in np.ndindex(*upstream.shape[1:]):
            at = _window_at(trace, out_at, tap)
            inside = _inside(trace, at)
            pixel = (c, *at)
            value = float(trace.input[pixel]) if inside else 0.0
            out_index = (k, *out_at)
            g = float(upstream[out_index])
            terms.append(GradTerm(out_index, g, value, pixel, value * g, not inside))
        total = float(sum(t.product for t in terms))
        grad[position] = total
        note = ""
        if trace.flipped:
            note = f"true convolution: this weight is multiplied as tap {tuple(tap)} once flipped"
        steps.append(GradStep(index, "weight", position, tuple(terms), total, note, (k, c, *tap)))
    return tuple(steps), frozen(grad)


def _bias_step(k: int, upstream: np.ndarray, shape: Sequence[int]) -> GradStep:
    terms = []
    for out_at in np.ndindex(*shape[1:]):
        where = (k, *out_at)
        g = float(upstream[where])
        terms.append(GradTerm(where, g, 1.0, None, g))
    return GradStep(k, "bias", (k,), tuple(terms), float(sum(t.product for t in terms)))


def full_convolution(trace: Trace, upstream: np.ndarray) -> FullConvolution:
    """dL/dX the other way: dL/dY spread by the stride and padded, convolved with the flipped
    kernel used (dilated as forward), cropped by the forward padding."""
    used = trace.used_kernel
    assert used is not None
    reports = trace.size_reports
    filters = upstream.shape[0]
    spread_shape = tuple(
        (o - 1) * r.stride + 1 for o, r in zip(upstream.shape[1:], reports, strict=True)
    )
    spread = np.zeros((filters, *spread_shape))
    every_stride = tuple(slice(None, None, r.stride) for r in reports)
    # the index tuples are built apart: mypy reads x[(a, *b)] as 3.11 syntax
    strided = (slice(None), *every_stride)
    spread[strided] = upstream
    pads, leftovers = [], []
    for r, n in zip(reports, spread_shape, strict=True):
        span = r.dilation * (r.kernel - 1)
        leftover = r.size + r.padding[0] + r.padding[1] - span - n
        pads.append((span, span + leftover))
        leftovers.append(leftover)
    padded = np.pad(spread, [(0, 0), *pads])
    axes = used.ndim - 2
    kernel = np.swapaxes(used[(slice(None), slice(None)) + (slice(None, None, -1),) * axes], 0, 1)
    kernel_window = kernel.shape[2:]
    size_reports = tuple(
        size_report(n, k, 1, 0, r.dilation)
        for n, k, r in zip(padded.shape[1:], kernel_window, reports, strict=True)
    )
    channels = kernel.shape[0]
    out_shape = (channels, *(s.output for s in size_reports))
    check_terms(
        int(np.prod(out_shape)), int(np.prod(kernel.shape[1:])), "products in the full convolution"
    )
    steps = []
    output = np.zeros(out_shape)
    for index, out_index in enumerate(np.ndindex(out_shape)):
        step = _conv_step(index, out_index, padded, kernel, size_reports, 0.0)
        output[out_index] = step.value
        steps.append(step)
    crop = tuple(r.padding for r in reports)
    inner = tuple(slice(b, size - a) for (b, a), size in zip(crop, out_shape[1:], strict=True))
    kept = (slice(None), *inner)
    cropped = output[kept]
    full = Trace(
        operation=trace.operation,
        input=frozen(padded),
        kernel=frozen(kernel),
        used_kernel=frozen(kernel),
        padding=tuple((0, 0) for _ in reports),
        stride=(1,) * axes,
        dilation=trace.dilation,
        mode="correlation",
        output=frozen(output),
        steps=tuple(steps),
        size_reports=size_reports,
        flipped=False,
    )
    return FullConvolution(
        spread=frozen(spread),
        padding=tuple(pads),
        leftover=tuple(leftovers),
        padded=frozen(padded),
        kernel=frozen(kernel),
        dilation=trace.dilation,
        trace=full,
        crop=crop,
        grad_input=frozen(cropped),
    )
