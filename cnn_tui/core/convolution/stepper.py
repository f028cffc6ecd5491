"""What a cell-by-cell trace of a conv or pool is: one frozen Step per output cell, a Cursor.

The traces themselves are built in conv_trace (conv1d, conv2d) and pool_trace (2-D pooling).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from .arithmetic import SizeReport

MODES = ("correlation", "convolution")
POOL_KINDS = ("max", "avg", "lp", "l2")
MAX_SIDE = 64
"""Longest padded axis a trace covers: the stepper is for watching a window move, and a bigger
grid neither fits a terminal nor teaches more (MNIST's 28 and CIFAR's 32 fit with padding)."""
MAX_TERMS = 100_000
"""Most window cells (products, or pooled values) in one trace: about half a second to build."""


class StepperError(ValueError):
    """Input a trace cannot be built from; the message names the culprit in one line."""


def format_number(x: float) -> str:
    """Whole numbers without '.0', others to at most three decimals (0.25, -1.5, 0.333)."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if abs(x) >= 1e15:
        # beyond this every float is whole and its digits are noise: 1e+200, not 201 digits
        return f"{x:.4g}"
    if x == int(x):
        return str(int(x))
    if abs(x) >= 0.001:
        return f"{x:.3f}".rstrip("0").rstrip(".")
    # Tiny values keep a significant digit instead of collapsing to 0.
    return f"{x:.3g}"


def _json_float(x: float) -> float | None:
    # Strict JSON has no infinities; max-pool padding (-inf) becomes null.
    return float(x) if math.isfinite(x) else None


def _term(x: float) -> str:
    text = format_number(x)
    return f"({text})" if text.startswith("-") else text


@dataclass(frozen=True)
class WindowCell:
    """One cell of the window that produces an output value."""

    position: tuple[int, ...]
    """Input coordinates (channel first); padding cells lie outside the input's range."""
    is_padding: bool
    """True for a cell added by padding rather than read from the input."""
    value: float
    """The input value: 0 for zero padding, -inf for max-pool padding."""
    weight: float | None
    """The kernel value multiplied here (already flipped in convolution mode); None for pooling."""
    product: float | None
    """value * weight; None for pooling."""
    running_sum: float
    """Conv: sum of products so far. Pooling: running max, sum of values or sum of |x|^p."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": list(self.position),
            "is_padding": self.is_padding,
            "value": _json_float(self.value),
            "weight": self.weight,
            "product": self.product,
            "running_sum": _json_float(self.running_sum),
        }


@dataclass(frozen=True)
class Step:
    """How one output cell is computed, window cell by window cell."""

    index: int
    """0-based position of this step in the trace."""
    output_position: tuple[int, ...]
    """(filter, i, j) for conv2d, (filter, i) for conv1d, (channel, i, j) for pooling."""
    cells: tuple[WindowCell, ...]
    """The window in order: channel, then row, then column."""
    channel_sums: tuple[float, ...]
    """Conv: the partial sum contributed by each input channel. Empty for pooling."""
    bias: float
    """Added after the sum of products (0 for pooling)."""
    value: float
    """The output value."""
    argmax: int | None = None
    """Max pooling: index into cells of the first largest value."""
    divisor: int | None = None
    """Avg pooling: what the window's sum is divided by."""
    norm_type: float | None = None
    """Lp pooling: the p in (sum |x|^p)^(1/p)."""

    @property
    def products(self) -> tuple[float, ...]:
        """The products of a conv window (empty for pooling)."""
        return tuple(cell.product for cell in self.cells if cell.product is not None)

    @property
    def total(self) -> float:
        """The last running sum: sum of products before bias, or the pool's running figure."""
        return self.cells[-1].running_sum

    def equation(self) -> str:
        """The computation written out, e.g. '1x1 + 1x0 + 0x1 = 1' or 'max(1, 5) = 5'."""
        result = format_number(self.value)
        values = [cell.value for cell in self.cells]
        if self.argmax is not None:
            return f"max({', '.join(format_number(v) for v in values)}) = {result}"
        if self.divisor is not None:
            return f"({' + '.join(_term(v) for v in values)}) / {self.divisor} = {result}"
        if self.norm_type is not None:
            p = format_number(self.norm_type)
            powers = " + ".join(
                f"{'|' + format_number(v) + '|' if v < 0 else format_number(v)}^{p}" for v in values
            )
            return f"({powers})^(1/{p}) = {result}"
        terms = " + ".join(f"{_term(c.value)}x{_term(c.weight or 0.0)}" for c in self.cells)
        bias = f" + bias {format_number(self.bias)}" if self.bias != 0 else ""
        return f"{terms}{bias} = {result}"

    def explain(self) -> list[str]:
        """The equation, split per input channel when there are several, then their total.

        One channel gives one line (equation()); C channels give 'c0: 1x0 + ... = 3' per channel
        and 'total: 3 + 2 + -1 + bias 1 = 5'.
        """
        channels = len(self.channel_sums)
        if channels <= 1:
            return [self.equation()]
        per_channel = len(self.cells) // channels
        lines = []
        for c, partial in enumerate(self.channel_sums):
            cells = self.cells[c * per_channel : (c + 1) * per_channel]
            terms = " + ".join(f"{_term(x.value)}x{_term(x.weight or 0.0)}" for x in cells)
            lines.append(f"c{c}: {terms} = {format_number(partial)}")
        sums = " + ".join(_term(partial) for partial in self.channel_sums)
        bias = f" + bias {format_number(self.bias)}" if self.bias != 0 else ""
        lines.append(f"total: {sums}{bias} = {format_number(self.value)}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "position": list(self.output_position),
            "window": [list(cell.position) for cell in self.cells],
            "padding": [cell.is_padding for cell in self.cells],
            "values": [_json_float(cell.value) for cell in self.cells],
            "weights": [cell.weight for cell in self.cells],
            "products": list(self.products),
            "channel_sums": list(self.channel_sums),
            "sum": _json_float(self.total),
            "bias": self.bias,
            "value": self.value,
            "argmax": self.argmax,
            "divisor": self.divisor,
            "equation": self.equation(),
        }


@dataclass(frozen=True, eq=False)
class Trace(Sequence[Step]):
    """A whole conv or pool, as the output and the ordered steps that fill it in."""

    operation: str
    """'conv1d', 'conv2d', 'maxpool', 'avgpool' or 'lppool'."""
    input: np.ndarray
    """The input with its channel axis: (C, L) or (C, H, W)."""
    kernel: np.ndarray | None
    """The kernel as given, shaped (K, C_in, ...); None for pooling."""
    used_kernel: np.ndarray | None
    """The kernel actually multiplied: flipped on every spatial axis in convolution mode."""
    padding: tuple[tuple[int, int], ...]
    """(before, after) per spatial axis."""
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    mode: str | None
    """'correlation' or 'convolution' for conv; None for pooling."""
    output: np.ndarray
    """The result with its filter/channel axis: (K, OL) or (K, OH, OW)."""
    steps: tuple[Step, ...]
    """One step per output cell: filter/channel, then row, then column."""
    size_reports: tuple[SizeReport, ...]
    """The output-size formula and uncovered input indices, per spatial axis."""
    flipped: bool
    """True when the kernel was flipped (true convolution)."""
    ceil_mode: bool = False
    """Pooling: the last partial window was kept."""

    def __len__(self) -> int:
        return len(self.steps)

    @overload
    def __getitem__(self, index: int) -> Step: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Step, ...]: ...
    def __getitem__(self, index: int | slice) -> Step | tuple[Step, ...]:
        return self.steps[index]

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def partial_output(self, step_index: int) -> np.ndarray:
        """The output with steps 0..step_index filled in and NaN elsewhere (none if negative)."""
        partial = np.array(self.output, dtype=float)
        flat = partial.reshape(-1)
        flat[max(step_index + 1, 0) :] = np.nan
        return partial

    def to_dict(self) -> dict[str, Any]:
        def listed(array: np.ndarray | None) -> list[Any] | None:
            return None if array is None else array.tolist()

        return {
            "operation": self.operation,
            "mode": self.mode,
            "flipped": self.flipped,
            "input": listed(self.input),
            "kernel": listed(self.kernel),
            "used_kernel": listed(self.used_kernel),
            "output": listed(self.output),
            "padding": [list(pair) for pair in self.padding],
            "stride": list(self.stride),
            "dilation": list(self.dilation),
            "ceil_mode": self.ceil_mode,
            "formulas": [report.formula for report in self.size_reports],
            "uncovered": [list(report.uncovered) for report in self.size_reports],
            "uncovered_causes": [list(report.causes) for report in self.size_reports],
            "steps": [step.to_dict() for step in self.steps],
        }


class Cursor:
    """A position in a Trace that moves forwards and backwards, clamped at both ends."""

    def __init__(self, trace: Trace, index: int = 0) -> None:
        self.trace = trace
        self._index = 0
        self.index = index

    @property
    def index(self) -> int:
        """The current step number; setting it clamps to the trace."""
        return self._index

    @index.setter
    def index(self, value: int) -> None:
        self._index = min(max(value, 0), len(self.trace) - 1)

    @property
    def step(self) -> Step:
        return self.trace[self._index]

    @property
    def at_start(self) -> bool:
        return self._index == 0

    @property
    def at_end(self) -> bool:
        return self._index == len(self.trace) - 1

    def forward(self, count: int = 1) -> bool:
        """Move ahead; False when already at the end."""
        before = self._index
        self.index = before + count
        return self._index != before

    def back(self, count: int = 1) -> bool:
        """Move back; False when already at the start."""
        before = self._index
        self.index = before - count
        return self._index != before

    def to_start(self) -> None:
        self.index = 0

    def to_end(self) -> None:
        self.index = len(self.trace) - 1

    def partial_output(self) -> np.ndarray:
        return self.trace.partial_output(self._index)
