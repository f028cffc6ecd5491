"""Output-size, padding, parameter-count and receptive-field formulas for conv and pool layers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import gcd

PADDING_MODES = ("valid", "same", "full")
MAX_REPORT_SIZE = 100_000
"""Largest axis size_report walks window by window."""


class ArithmeticError_(ValueError):
    """A layer's numbers cannot produce an output (named for the field at fault)."""


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """The span a dilated kernel covers: d*(k-1)+1."""
    return dilation * (kernel - 1) + 1


def resolve_padding(
    kernel: int, padding: int | str = 0, dilation: int = 1, stride: int = 1
) -> tuple[int, int]:
    """Padding before and after one axis, for an int or 'valid' / 'same' / 'full'.

    'same' follows PyTorch: the total d*(k-1) is split with the extra cell on the far side, and is
    only defined for stride 1 (as in torch.nn.Conv2d).
    """
    if isinstance(padding, str):
        mode = padding.lower()
        span = dilation * (kernel - 1)
        if mode == "valid":
            return (0, 0)
        if mode == "same":
            if stride != 1:
                raise ArithmeticError_("padding 'same' needs stride 1 (as in PyTorch)")
            return (span // 2, span - span // 2)
        if mode == "full":
            return (span, span)
        raise ArithmeticError_(f"padding must be a number or one of {', '.join(PADDING_MODES)}")
    if padding < 0:
        raise ArithmeticError_(f"padding must be 0 or more, got {padding}")
    return (padding, padding)


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise ArithmeticError_(f"{name} must be at least 1, got {value}")


def output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output length of a conv or pool along one axis: floor((W + P - d(F-1) - 1) / S) + 1.

    With ceil_mode the division rounds up, but (as in PyTorch) the last window must start inside
    the input or the left padding.
    """
    return _output_and_drop(size, kernel, stride, padding, dilation, ceil_mode)[0]


def _output_and_drop(
    size: int, kernel: int, stride: int, padding: int | str, dilation: int, ceil_mode: bool
) -> tuple[int, bool]:
    """The output length, and whether ceil mode dropped a last window that began in the padding."""
    _check_positive(size=size, kernel=kernel, stride=stride, dilation=dilation)
    before, after = resolve_padding(kernel, padding, dilation, stride)
    span = effective_kernel(kernel, dilation)
    room = size + before + after - span
    if room < 0 and not ceil_mode:
        raise ArithmeticError_(
            f"input is {size} (padded {size + before + after}), smaller than the "
            f"{'dilated ' if dilation > 1 else ''}kernel span {span}"
        )
    if ceil_mode:
        out = -(-room // stride) + 1
        dropped = (out - 1) * stride >= size + before
        if dropped:
            out -= 1
        if out < 1:
            raise ArithmeticError_(
                f"input is {size} (padded {size + before + after}), too small for the "
                f"kernel span {span} even in ceil mode"
            )
        return out, dropped
    return room // stride + 1, False


def check_pool_padding(kernel: int, padding: int | str) -> None:
    """Pooling pads by a number of at most half the window, as torch's max_pool2d insists."""
    if isinstance(padding, str):
        raise ArithmeticError_(
            f"pooling has no {padding!r} padding: give a number of cells, "
            "at most half the window size"
        )
    if 2 * padding > kernel:
        # torch: "pad should be at most half of effective kernel size"
        raise ArithmeticError_(
            f"padding {padding} is more than half the window size {kernel} "
            f"(PyTorch allows {kernel // 2})"
        )


def pool_output_size(
    size: int,
    kernel: int,
    stride: int | None = None,
    padding: int = 0,
    ceil_mode: bool = False,
) -> int:
    """Output length of a max or average pool: output_size, after PyTorch's padding rule."""
    check_pool_padding(kernel, padding)
    return output_size(size, kernel, stride or kernel, padding, 1, ceil_mode)


def transposed_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output length of a transposed conv: (W-1)S - 2P + d(F-1) + output_padding + 1."""
    _check_positive(size=size, kernel=kernel, stride=stride, dilation=dilation)
    if padding < 0 or output_padding < 0:
        raise ArithmeticError_("padding and output_padding must be 0 or more")
    if output_padding >= max(stride, dilation):
        raise ArithmeticError_("output_padding must be smaller than stride or dilation")
    out = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    if out < 1:
        raise ArithmeticError_(f"padding {padding} leaves no output (size {out})")
    return out


@dataclass(frozen=True)
class SizeReport:
    """One axis of a conv/pool: the output size, the formula with numbers, and what is dropped."""

    size: int
    """Input length along the axis."""
    kernel: int
    stride: int
    padding: tuple[int, int]
    """Padding before and after."""
    dilation: int
    ceil_mode: bool
    output: int
    """Output length."""
    exact: bool
    """True when (W + P - span) divides evenly by the stride."""
    uncovered: tuple[int, ...]
    """Input indices (0-based) that no window touches."""
    dropped: bool = False
    """Ceil mode only: the formula's last window would start in the right padding, so (as in
    PyTorch) it is dropped and the output is one less than the formula."""
    causes: tuple[str, ...] = ()
    """Why each uncovered index is left out, in the same order: one of UNCOVERED_CAUSES."""

    @property
    def formula(self) -> str:
        """The formula lines joined by newlines (one line unless ceil mode dropped a window)."""
        return "\n".join(self.formula_lines)

    @property
    def formula_lines(self) -> tuple[str, ...]:
        """The lecture's formula with the numbers filled in, e.g. (5 - 3 + 2*0) / 1 + 1 = 3.

        When ceil mode drops a window a second line takes the formula's figure down to the
        output, so the working adds up.
        """
        before, after = self.padding
        pad = f"2*{before}" if before == after else f"{before} + {after}"
        span = str(self.kernel)
        if self.dilation != 1:
            span = f"({self.dilation}*({self.kernel} - 1) + 1)"
        head = f"({self.size} - {span} + {pad}) / {self.stride}"
        if not self.exact:
            head = f"{'ceil' if self.ceil_mode else 'floor'}({head})"
        head += " + 1"
        if not self.dropped:
            return (f"{head} = {self.output}",)
        return (
            f"{head} = {self.output + 1}",
            "the last window would start in the padding, so it is dropped: "
            f"{self.output + 1} - 1 = {self.output}",
        )

    @property
    def explanation(self) -> str:
        """One line on which input cells no window touches and why, grouped by cause, or an
        empty string when every cell is used."""
        if not self.uncovered:
            return ""
        groups: dict[str, list[int]] = {}
        for index, cause in zip(self.uncovered, self.causes, strict=True):
            groups.setdefault(cause, []).append(index)
        one = len(self.uncovered) == 1
        head = (
            f"input {'index' if one else 'indices'} {_listed(self.uncovered)} "
            f"{'is' if one else 'are'} never used: "
        )
        if len(groups) == 1:
            ((cause, _),) = groups.items()
            return head + ("it " if one else "they ") + self._cause_text(cause, one, True)
        # groups in the order of their first cell, left to right along the axis
        parts = []
        for number, (cause, cells) in enumerate(groups.items()):
            # the dilation is named once, in the first group in a gap
            first_gap = all(not c.startswith("dilation") for c in list(groups)[:number])
            subject = f"{'index' if len(cells) == 1 else 'indices'} {_listed(cells)} "
            parts.append(subject + self._cause_text(cause, len(cells) == 1, first_gap))
        return head + "; ".join(parts)

    def _cause_text(self, cause: str, one: bool, name_dilation: bool) -> str:
        """What one group of uncovered cells has in common, after its subject."""
        before, after = self.padding
        span = effective_kernel(self.kernel, self.dilation)
        window = f"dilated window {span}" if self.dilation > 1 else f"window {span}"
        if cause == "between-windows":
            where = "between two windows" if one else "between windows"
            return (
                f"{'lies' if one else 'lie'} {where}, as the stride {self.stride} "
                f"is longer than the {window}"
            )
        if cause == "past-last-window":
            end = (self.output - 1) * self.stride - before + span - 1
            ends = f"ending at {end}" if end >= 0 else "ending in the padding"
            if self.ceil_mode:
                why = "ceil mode drops the window that would start past the input"
            else:
                pad = f" + {before + after}" if before + after else ""
                why = f"({self.size}{pad} - {span}) is not a multiple of the stride {self.stride}"
            return f"{'lies' if one else 'lie'} past the last window ({ends}), as {why}"
        gap = f"{'falls in a gap' if one else 'fall in gaps'} of the dilated kernel"
        if name_dilation:
            gap += f" (dilation {self.dilation})"
        if cause == "dilation-gap":
            return f"{gap} that no window fills at stride {self.stride}"
        start = "starting before the " + ("padding" if before else "input")
        finish = "running past the end of the " + ("padding" if after else "input")
        outside = {
            "dilation-gap-start": start,
            "dilation-gap-end": finish,
            "dilation-gap-both": f"{start} or {finish}",
        }[cause]
        return f"{gap} and would need {'a window' if one else 'windows'} {outside}"


def _listed(cells: Sequence[int]) -> str:
    return ", ".join(str(i) for i in cells)


UNCOVERED_CAUSES: dict[str, str] = {
    "dilation-gap-start": "inside a window's span, in a gap of its dilated kernel; the windows "
    "whose taps would land there would start before the padded input",
    "dilation-gap-end": "inside a window's span, in a gap of its dilated kernel; the windows "
    "whose taps would land there would run past the end of the padded input",
    "dilation-gap-both": "inside a window's span, in a gap of its dilated kernel; the windows "
    "whose taps would land there would start before or run past the padded input",
    "dilation-gap": "inside a window's span, in a gap of its dilated kernel; at this stride no "
    "window anywhere has a tap there",
    "between-windows": "outside every window's span, between two windows: the stride is longer "
    "than the (dilated) window",
    "past-last-window": "after the last window's span: the stride does not divide (size + "
    "padding - window), or ceil mode dropped the window that would start past the input",
}
"""Why an input cell is never touched, by the code SizeReport.causes and the JSON carry. Every
uncovered cell lies after the first window's start (the first window starts at or before index
0), so it is inside some window's span, between two spans, or after the last one."""


def size_report(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> SizeReport:
    """Output size plus which input cells are never covered (PyTorch floors the division)."""
    if size > MAX_REPORT_SIZE:
        # the coverage walk visits every window tap; beyond this a student gains nothing
        raise ArithmeticError_(f"size must be at most {MAX_REPORT_SIZE:,} here, got {size:,}")
    out, dropped = _output_and_drop(size, kernel, stride, padding, dilation, ceil_mode)
    if out > MAX_REPORT_SIZE:
        # only padding can push the output past the (already capped) input size
        shown = repr(padding) if isinstance(padding, str) else str(padding)
        raise ArithmeticError_(
            f"padding {shown} gives an output of {out:,}; "
            f"the output must be at most {MAX_REPORT_SIZE:,} here"
        )
    before, after = resolve_padding(kernel, padding, dilation, stride)
    span = effective_kernel(kernel, dilation)
    uncovered = _uncovered(size, kernel, stride, before, dilation, out)
    exact = (size + before + after - span) % stride == 0
    causes = tuple(_cause(i + before, kernel, stride, dilation, out) for i in uncovered)
    return SizeReport(
        size,
        kernel,
        stride,
        (before, after),
        dilation,
        ceil_mode,
        out,
        exact,
        uncovered,
        dropped,
        causes,
    )


def pool_size_report(
    size: int,
    kernel: int,
    stride: int | None = None,
    padding: int = 0,
    ceil_mode: bool = False,
) -> SizeReport:
    """size_report for a max or average pool (stride defaults to the window), after PyTorch's
    rule that padding is at most half the window."""
    check_pool_padding(kernel, padding)
    return size_report(size, kernel, stride or kernel, padding, 1, ceil_mode)


def _uncovered(
    size: int, kernel: int, stride: int, before: int, dilation: int, out: int
) -> tuple[int, ...]:
    """Input indices no window tap lands on, visiting only the windows that reach the input and
    only their taps inside it (a huge kernel or padding costs no more than the input)."""
    covered = bytearray(size)
    span = effective_kernel(kernel, dilation)
    first = max(0, -(-(before - span + 1) // stride))
    last = min(out - 1, (size - 1 + before) // stride)
    for o in range(first, last + 1):
        start = o * stride - before
        low = max(0, -(start // dilation))  # the first tap at index 0 or later
        high = min(kernel - 1, (size - 1 - start) // dilation)
        if low <= high:
            taps = range(start + low * dilation, start + high * dilation + 1, dilation)
            covered[taps.start : taps.stop : dilation] = b"\x01" * len(taps)
    return tuple(i for i, hit in enumerate(covered) if not hit)


def _cause(position: int, kernel: int, stride: int, dilation: int, out: int) -> str:
    """The UNCOVERED_CAUSES code of an uncovered cell at position in the padded axis (window o
    spans [o*stride, o*stride + span - 1]); constant time, however long the kernel."""
    span = effective_kernel(kernel, dilation)
    first = max(0, -(-(position - span + 1) // stride))
    last = min(out - 1, position // stride)
    if first > last:
        # no window's span reaches it: it is between two spans or after the last one
        end = (out - 1) * stride + span - 1
        return "past-last-window" if position > end else "between-windows"
    # inside a span, yet no tap lands on it: a dilation gap. Window o has a tap here when
    # o*stride + t*dilation == position for some tap t in [0, kernel): solve for t mod stride
    common = gcd(dilation, stride)
    if position % common:
        return "dilation-gap"
    period = stride // common
    t_low = (position // common) * pow(dilation // common, -1, period) % period
    if t_low >= kernel:
        return "dilation-gap"
    t_high = t_low + (kernel - 1 - t_low) // period * period
    # the smallest tap gives the latest window, the largest tap the earliest; none lies in
    # [0, out), or a tap would land here
    late = (position - t_low * dilation) // stride >= out
    early = (position - t_high * dilation) // stride < 0
    if late and early:
        return "dilation-gap-both"
    return "dilation-gap-end" if late else "dilation-gap-start"


@dataclass(frozen=True)
class ParamCount:
    """Learnable parameters of one layer, split into weights and biases."""

    weights: int
    biases: int

    @property
    def total(self) -> int:
        return self.weights + self.biases


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    first, second = value
    return (int(first), int(second))


def conv_params(
    kernel: int | Sequence[int],
    in_channels: int,
    out_channels: int,
    groups: int = 1,
    bias: bool = True,
) -> ParamCount:
    """(F_h * F_w * C_in / groups) * K weights, plus K biases."""
    kh, kw = _pair(kernel)
    _check_positive(
        kernel=min(kh, kw), in_channels=in_channels, out_channels=out_channels, groups=groups
    )
    if in_channels % groups or out_channels % groups:
        raise ArithmeticError_(
            f"groups={groups} must divide both in_channels={in_channels} "
            f"and out_channels={out_channels}"
        )
    weights = kh * kw * (in_channels // groups) * out_channels
    return ParamCount(weights, out_channels if bias else 0)


def linear_params(in_features: int, out_features: int, bias: bool = True) -> ParamCount:
    """in * out weights, plus out biases."""
    _check_positive(in_features=in_features, out_features=out_features)
    return ParamCount(in_features * out_features, out_features if bias else 0)


@dataclass(frozen=True)
class FieldStep:
    """Receptive field after one layer, measured in input pixels."""

    size: int
    """How many input pixels (along one axis) one output cell sees."""
    jump: int
    """Distance in input pixels between neighbouring output cells."""
    start: float
    """Centre of the first output cell's field, in input coordinates."""
    exact: bool = True
    """Whether every output cell's field has this size. False from an adaptive pool with windows
    of unequal width (or unequal spacing, once a later window spans several cells) on: size is
    then the largest field any cell has, exact on the pool's row, an upper bound after it."""
    even: bool = True
    """Whether neighbouring cells are all jump apart. False from an adaptive pool whose windows
    start at unequal spacings on: jump is then the largest spacing (exact on the pool's row, an
    upper bound after it) and start is only approximate after the pool's row."""


def receptive_field_step(
    previous: FieldStep, kernel: int, stride: int, padding: int, dilation: int = 1
) -> FieldStep:
    """r' = r + (d(k-1)) * j,  j' = j * s,  start' = start + ((d(k-1))/2 - p) * j."""
    span = effective_kernel(kernel, dilation)
    return FieldStep(
        size=previous.size + (span - 1) * previous.jump,
        jump=previous.jump * stride,
        start=previous.start + ((span - 1) / 2 - padding) * previous.jump,
        # a window over several cells that lie unevenly apart sees more or less
        exact=previous.exact and (previous.even or span == 1),
        even=previous.even,
    )


def adaptive_windows(size: int, output: int) -> tuple[tuple[int, int], ...]:
    """PyTorch's adaptive pooling windows along one axis: output cell i averages the input cells
    [floor(i*size/output), ceil((i+1)*size/output))."""
    _check_positive(size=size, output=output)
    return tuple(((i * size) // output, -(-((i + 1) * size) // output)) for i in range(output))


@dataclass(frozen=True)
class AdaptiveGeometry:
    """Adaptive pooling from size to output cells along one axis, as an ordinary pool."""

    kernel: int
    """The widest window."""
    stride: int
    """The widest spacing between neighbouring windows' starts."""
    same_width: bool
    """Whether every window is kernel wide."""
    same_spacing: bool
    """Whether every neighbouring pair of windows starts stride apart."""


def adaptive_geometry(size: int, output: int) -> AdaptiveGeometry:
    """The widest window and spacing of adaptive_windows(size, output), without listing them.

    With size = q*output + r: r = 0 gives windows of q every q cells, r = 1 windows of q + 1
    every q cells. Otherwise (i*r mod output) runs through the multiples of g = gcd(r, output),
    so a window of q + 2 appears exactly when r > g, and starts lie q or q + 1 apart.
    """
    _check_positive(size=size, output=output)
    whole, rest = divmod(size, output)
    if rest == 0:
        return AdaptiveGeometry(whole, whole, True, True)
    if rest == 1:
        return AdaptiveGeometry(whole + 1, whole, True, True)
    wider = rest > gcd(rest, output)
    return AdaptiveGeometry(whole + 1 + wider, whole + 1, not wider, False)


def adaptive_field_step(previous: FieldStep, size: int, output: int) -> FieldStep | None:
    """The field after adaptive average pooling from size to output cells along one axis.

    Pooling to the size the map already has is an identity; pooling to one cell mixes the
    whole map (None). Otherwise it is an ordinary pool with its widest window and widest
    spacing, exact when all windows are alike (see FieldStep.exact and FieldStep.even)."""
    if output == size:
        return previous
    if output == 1:
        return None
    pool = adaptive_geometry(size, output)
    # the first window is [0, ceil(size/output)), whatever the others are
    first = -(-size // output)
    return FieldStep(
        size=previous.size + (pool.kernel - 1) * previous.jump,
        jump=previous.jump * pool.stride,
        start=previous.start + (first - 1) / 2 * previous.jump,
        exact=previous.exact and pool.same_width and (previous.even or pool.kernel == 1),
        even=previous.even and pool.same_spacing,
    )


INPUT_FIELD = FieldStep(size=1, jump=1, start=0.5)
"""The field of one input pixel: itself, centred on its middle."""
