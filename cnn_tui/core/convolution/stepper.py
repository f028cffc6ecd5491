"""Cell-by-cell traces of conv1d, conv2d and 2-D pooling: one frozen Step per output cell."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from cnn_tui.core.convolution.arithmetic import (
    ArithmeticError_,
    SizeReport,
    check_pool_padding,
    effective_kernel,
    resolve_padding,
    size_report,
)

MODES = ("correlation", "convolution")
POOL_KINDS = ("max", "avg", "lp", "l2")
MAX_SIDE = 64
"""Longest padded axis a trace covers: the stepper is for watching a window move, and a bigger
grid neither fits a terminal nor teaches more (MNIST's 28 and CIFAR's 32 fit with padding)."""
MAX_TERMS = 100_000
"""Most window cells (products, or pooled values) in one trace: about half a second to build."""
_LARGEST_FLOAT = "the largest float (about 1.8e308)"


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


def _dims(shape: Sequence[int]) -> str:
    return "x".join(str(n) for n in shape)


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


_ITEM_SEPARATOR = re.compile(r"\s*,\s*|\s+")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


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
                        f"{place} has {_plural(len(row), 'number')}, row 1 has {len(rows[0])}"
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


def _as_array(value: Any, name: str, allowed_dims: Sequence[int], layout: str) -> np.ndarray:
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
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise StepperError(f"{name} must be a whole number, got {value!r}")
    if value < least:
        raise StepperError(f"{name} must be at least {least}")
    return int(value)


def _per_axis(value: Any, name: str, axes: int, least: int) -> tuple[int, ...]:
    if not isinstance(value, (tuple, list)):
        return (_whole(value, name, least),) * axes
    if len(value) != axes:
        shape = "one whole number" if axes == 1 else "one whole number or a pair (h, w)"
        raise StepperError(f"{name} must be {shape}, got {value!r}")
    return tuple(_whole(v, name, least) for v in value)


def _padding_per_axis(padding: Any, axes: int) -> tuple[int | str, ...]:
    if isinstance(padding, str):
        return (padding,) * axes
    return _per_axis(padding, "padding", axes, 0)


def _reports(
    sizes: Sequence[int],
    window: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int | str],
    dilation: Sequence[int],
    ceil_mode: bool,
    window_name: str,
) -> tuple[SizeReport, ...]:
    """size_report per axis, after checking the window fits with a message in the grid's terms."""
    try:
        pads = [
            resolve_padding(k, p, d, s)
            for k, p, d, s in zip(window, padding, dilation, stride, strict=True)
        ]
        spans = [effective_kernel(k, d) for k, d in zip(window, dilation, strict=True)]
        padded = [n + before + after for n, (before, after) in zip(sizes, pads, strict=True)]
        if any(span > room for span, room in zip(spans, padded, strict=True)):
            dilated = "dilated " if any(d > 1 for d in dilation) else ""
            if len(sizes) == 1:
                raise StepperError(
                    f"{dilated}{window_name} covers {spans[0]} samples "
                    f"but the padded signal has only {padded[0]}"
                )
            verb = "spans" if dilated else "is"
            raise StepperError(
                f"{dilated}{window_name} {verb} {_dims(spans)} "
                f"but the padded input is only {_dims(padded)}"
            )
        _check_side(sizes, padded, padding, dilation)
        return tuple(
            size_report(n, k, s, p, d, ceil_mode)
            for n, k, s, p, d in zip(sizes, window, stride, padding, dilation, strict=True)
        )
    except ArithmeticError_ as error:
        raise StepperError(str(error)) from None


def _check_side(
    sizes: Sequence[int],
    padded: Sequence[int],
    padding: Sequence[int | str],
    dilation: Sequence[int],
) -> None:
    """Refuse a padded input longer than MAX_SIDE on any axis, blaming the padding or the input."""
    if max(padded) <= MAX_SIDE:
        return
    one_d = len(sizes) == 1
    limit = f"{MAX_SIDE} samples" if one_d else f"{MAX_SIDE}x{MAX_SIDE}"
    if max(sizes) > MAX_SIDE:
        what = f"signal has {sizes[0]} samples" if one_d else f"input is {_dims(sizes)}"
        raise StepperError(f"{what}; the stepper shows at most {limit}")
    same = all(p == padding[0] for p in padding)
    cause = f"padding {_shown(padding[0]) if same else tuple(padding)}"
    if isinstance(padding[0], str) and max(dilation) > 1:
        cause += f" with dilation {max(dilation):,}"
    result = (
        f"a padded signal of {padded[0]:,} samples" if one_d else f"a {_dims(padded)} padded input"
    )
    raise StepperError(f"{cause} makes {result}; the stepper shows at most {limit}")


def _shown(value: int | str) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _check_terms(steps: int, per_step: int, what: str) -> None:
    """Refuse a trace with more than MAX_TERMS window cells in all."""
    if steps * per_step > MAX_TERMS:
        raise StepperError(
            f"{steps:,} output cells x {per_step:,} {what} each = {steps * per_step:,} {what}; "
            f"the stepper traces at most {MAX_TERMS:,}"
        )


def _overflow(where: tuple[int, ...], what: str) -> StepperError:
    cell = ", ".join(str(i) for i in where)
    return StepperError(f"output[{cell}] overflows: {what} is beyond {_LARGEST_FLOAT}")


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
            f"kernel has {channels} input channel{'s' * (channels != 1)} "
            f"but the input has {signal.shape[0]}"
        )
    biases = _biases(bias, filters)
    strides = _per_axis(stride, "stride", axes, 1)
    dilations = _per_axis(dilation, "dilation", axes, 1)
    window = kernel.shape[2:]
    reports = _reports(
        signal.shape[1:],
        window,
        strides,
        _padding_per_axis(padding, axes),
        dilations,
        False,
        "kernel",
    )
    _check_terms(
        filters * math.prod(r.output for r in reports),
        channels * math.prod(window),
        "products",
    )
    flipped = mode == "convolution"
    # True convolution reads the kernel backwards: B[i-s, j-t] is the flipped kernel slid forward.
    used = (
        kernel[(slice(None), slice(None)) + (slice(None, None, -1),) * axes] if flipped else kernel
    )
    output = np.zeros((filters, *(r.output for r in reports)))
    steps = []
    for index, (k, *out_at) in enumerate(np.ndindex(output.shape)):
        cells = []
        running = 0.0
        channel_sums = []
        for c in range(channels):
            channel_sum = 0.0
            for offset in np.ndindex(*window):
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
                    raise _overflow((k, *out_at), what)
                if not (math.isfinite(running) and math.isfinite(channel_sum)):
                    raise _overflow((k, *out_at), "the sum of products")
                cells.append(WindowCell(pixel, not inside, value, weight, product, running))
            channel_sums.append(channel_sum)
        value = running + biases[k]
        if not math.isfinite(value):
            raise _overflow((k, *out_at), f"the sum plus bias {format_number(biases[k])}")
        out_index = (k, *out_at)
        output[out_index] = value
        steps.append(Step(index, (k, *out_at), tuple(cells), tuple(channel_sums), biases[k], value))
    return Trace(
        operation=operation,
        input=_frozen(signal),
        kernel=_frozen(kernel),
        used_kernel=_frozen(used),
        padding=tuple(r.padding for r in reports),
        stride=strides,
        dilation=dilations,
        mode=mode,
        output=_frozen(output),
        steps=tuple(steps),
        size_reports=reports,
        flipped=flipped,
    )


def _pool_padding_rule(window: int, padding: int | str) -> None:
    try:
        check_pool_padding(window, padding)
    except ArithmeticError_ as error:
        raise StepperError(str(error)) from None


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=float)
    array.flags.writeable = False
    return array


def _biases(bias: float | Sequence[float], filters: int) -> list[float]:
    values = np.atleast_1d(_as_array(bias, "bias", (0, 1), "a number or one per filter"))
    if values.size == 1:
        return [float(values[0])] * filters
    if values.size != filters:
        raise StepperError(f"bias has {values.size} values but there are {filters} filters")
    return [float(v) for v in values]


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
    image = _as_array(input, "input", (2, 3), "2-D (H, W) or 3-D (C, H, W)")
    weights = _as_array(
        kernel, "kernel", (2, 3, 4), "(kh, kw), (C_in, kh, kw) or (K, C_in, kh, kw)"
    )
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
    samples = _as_array(signal, "signal", (1, 2), "1-D (L,) or 2-D (C, L)")
    weights = _as_array(kernel, "kernel", (1, 2, 3), "(k,), (C_in, k) or (K, C_in, k)")
    samples = samples.reshape((-1, samples.shape[-1]))
    weights = (
        weights.reshape((-1, *weights.shape[-2:])) if weights.ndim > 1 else weights[None, None]
    )
    return _conv_trace("conv1d", samples, weights, bias, stride, padding, dilation, mode)


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
    image = _as_array(input, "input", (2, 3), "2-D (H, W) or 3-D (C, H, W)")
    image = image.reshape((-1, *image.shape[-2:]))
    window = _per_axis(size, "size", 2, 1)
    strides = window if stride is None else _per_axis(stride, "stride", 2, 1)
    if isinstance(padding, str):
        _pool_padding_rule(window[0], padding)
    pads = _per_axis(padding, "padding", 2, 0)
    if kind == "lp":
        if any(pads):
            raise StepperError("lp pooling takes no padding (torch's lp_pool2d has none)")
        if not (isinstance(norm_type, (int, float)) and math.isfinite(norm_type) and norm_type > 0):
            raise StepperError(f"norm_type must be a positive number, got {norm_type!r}")
    for pad, k in zip(pads, window, strict=True):
        _pool_padding_rule(k, pad)
    reports = _reports(image.shape[1:], window, strides, pads, (1, 1), ceil_mode, "window")
    rows, cols = reports
    _check_terms(image.shape[0] * rows.output * cols.output, math.prod(window), "window cells")
    output = np.zeros((image.shape[0], rows.output, cols.output))
    steps = []
    for index, (c, i, j) in enumerate(np.ndindex(output.shape)):
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
                    raise _overflow((c, i, j), what if math.isinf(term) else f"the sum of |x|^{p}")
            cells.append(WindowCell((c, r, q), not inside, value, None, None, running))
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
        output[c, i, j] = value
        power = float(norm_type) if kind == "lp" else None
        steps.append(Step(index, (c, i, j), tuple(cells), (), 0.0, value, argmax, divisor, power))
    return Trace(
        operation=f"{kind}pool",
        input=_frozen(image),
        kernel=None,
        used_kernel=None,
        padding=tuple(r.padding for r in reports),
        stride=strides,
        dilation=(1, 1),
        mode=None,
        output=_frozen(output),
        steps=tuple(steps),
        size_reports=reports,
        flipped=False,
        ceil_mode=ceil_mode,
    )
