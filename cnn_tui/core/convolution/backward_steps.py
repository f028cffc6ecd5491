"""What a backward trace is made of: the upstream gradient dL/dY, and frozen steps whose sums
list every term, so a screen can write each gradient out with numbers and light up its cells.

conv backward is built in backward_conv, pool backward in backward_pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..plain_text import plural
from .arithmetic import UNCOVERED_CAUSES, SizeReport
from .stepper import StepperError, Trace, format_number
from .trace_inputs import as_array, frozen

UPSTREAM_SOURCES = ("ones", "given", "loss")
"""Where dL/dY comes from: all ones, typed by the user, or L = sum of squares of the output."""
LOSS_NOTE = "from a loss: L = sum of squares of the output, so dL/dY = 2Y"


def _term(x: float) -> str:
    text = format_number(x)
    return f"({text})" if text.startswith("-") else text


def _json_position(position: tuple[int, ...] | None) -> list[int] | None:
    return None if position is None else list(position)


@dataclass(frozen=True)
class Upstream:
    """dL/dY: the gradient arriving at the layer's output, shaped like the output."""

    values: np.ndarray
    """(K, OL) or (K, OH, OW): filter (or pooled channel) first, like Trace.output."""
    source: str
    """One of UPSTREAM_SOURCES."""
    note: str
    """How it was made, in words: 'all ones', 'as given', or LOSS_NOTE."""

    def to_dict(self) -> dict[str, Any]:
        return {"values": self.values.tolist(), "source": self.source, "note": self.note}


def upstream_gradient(trace: Trace, grad: Any = None, *, from_loss: bool = False) -> Upstream:
    """dL/dY for a trace: all ones by default, grad as given (the leading filter axis may be left
    out when there is one filter or channel), or 2Y for L = sum of squares of the output."""
    shape = trace.output.shape
    if from_loss:
        if grad is not None:
            raise StepperError("give dL/dY or take it from the loss, not both")
        return Upstream(frozen(2.0 * trace.output), "loss", LOSS_NOTE)
    if grad is None:
        return Upstream(frozen(np.ones(shape)), "ones", "all ones")
    values = as_array(grad, "grad", (1, 2, 3), "a grid shaped like the output")
    if values.shape != shape and (1, *values.shape) == shape:
        values = values[None]
    if values.shape != shape:
        raise StepperError(
            f"grad is {_shape_words(values.shape, values.ndim == len(shape))} "
            f"but the output is {_shape_words(shape)} "
            f"({plural(shape[0], _outer_name(trace))}): give one dL/dY per output cell"
        )
    return Upstream(frozen(values), "given", "as given")


def _outer_name(trace: Trace) -> str:
    return "filter" if trace.kernel is not None else "channel"


def _shape_words(shape: Sequence[int], with_outer: bool = True) -> str:
    """3x3, 5 long, or 2 x 3x3 when the leading filter axis holds more than one."""
    inner = shape[1:] if with_outer else shape
    words = "x".join(str(n) for n in inner) if len(inner) > 1 else f"{inner[0]} long"
    return f"{shape[0]} x {words}" if with_outer and shape[0] > 1 else words


@dataclass(frozen=True)
class GradTerm:
    """One term of a gradient's sum: factor x dL/dY at one output cell."""

    output_position: tuple[int, ...]
    """Where dL/dY is read: (filter, *position) for conv, (channel, i, j) for pooling."""
    upstream: float
    """dL/dY there."""
    factor: float
    """dL/dW: the input value under the weight. dL/dX: the weight the cell met (conv) or the
    share the window sends it (pooling: 1 or 0 for max, 1/divisor for avg, x/||x|| for L2).
    dL/db: 1."""
    factor_position: tuple[int, ...] | None
    """dL/dW: the input cell (channel first; padding lies outside the input). dL/dX in conv:
    the tap of the kernel used (filter, channel, *offset). None for dL/db and pooling."""
    product: float
    """factor x upstream."""
    is_padding: bool = False
    """dL/dW: the input cell under the weight is zero padding."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "output_position": list(self.output_position),
            "upstream": self.upstream,
            "factor": self.factor,
            "factor_position": _json_position(self.factor_position),
            "product": self.product,
            "is_padding": self.is_padding,
        }


@dataclass(frozen=True)
class GradStep:
    """How one gradient cell is summed, term by term."""

    index: int
    """0-based position of this step in its list."""
    target: str
    """'weight', 'input' or 'bias'."""
    position: tuple[int, ...]
    """weight: (filter, channel, *offset) in the kernel as typed; input: (channel, *position);
    bias: (filter,)."""
    terms: tuple[GradTerm, ...]
    """The sum's terms in order (output cell by output cell); empty for an uncovered input cell."""
    value: float
    """The gradient: the sum of the terms' products (0 when there are none)."""
    note: str = ""
    """Why the cell is special, in a sentence ('' when it is not): an input cell no window reads,
    a weight read from the flipped kernel, a max-pool tie, an all-zero L2 window."""
    used_position: tuple[int, ...] | None = None
    """weight: the tap of the kernel actually multiplied (differs from position when flipped)."""

    @property
    def cells(self) -> tuple[tuple[int, ...], ...]:
        """The cells the sum reads besides dL/dY: input cells (weight) or kernel taps (input)."""
        return tuple(t.factor_position for t in self.terms if t.factor_position is not None)

    def equation(self) -> str:
        """'1x1 + 0x1 + 1x2 = 3'; dL/db as '1 + 1 + 1 = 3'; '0' for a cell with no terms."""
        result = format_number(self.value)
        if not self.terms:
            return result
        if self.target == "bias":
            return f"{' + '.join(_term(t.upstream) for t in self.terms)} = {result}"
        terms = " + ".join(f"{_term(t.factor)}x{_term(t.upstream)}" for t in self.terms)
        return f"{terms} = {result}"

    def explain(self) -> list[str]:
        """The equation, then the note when there is one."""
        return [self.equation(), self.note] if self.note else [self.equation()]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "target": self.target,
            "position": list(self.position),
            "used_position": _json_position(self.used_position),
            "terms": [term.to_dict() for term in self.terms],
            "value": self.value,
            "equation": self.equation(),
            "note": self.note,
        }


@dataclass(frozen=True)
class Contribution:
    """What one output window sends one cell of its window, scattered backwards."""

    input_position: tuple[int, ...]
    """(channel, *position); padding cells lie outside the input and are cropped at the end."""
    is_padding: bool
    factor: float
    """The weight met (conv) or the window's share (pooling), as in GradTerm.factor."""
    factor_position: tuple[int, ...] | None
    """conv: the tap of the kernel used (filter, channel, *offset); None for pooling."""
    upstream: float
    amount: float
    """factor x upstream, added to the cell's gradient."""
    total: float
    """The cell's gradient so far, after this amount: overlapping windows accumulate."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_position": list(self.input_position),
            "is_padding": self.is_padding,
            "factor": self.factor,
            "factor_position": _json_position(self.factor_position),
            "upstream": self.upstream,
            "amount": self.amount,
            "total": self.total,
        }


@dataclass(frozen=True)
class ScatterStep:
    """One output window sending its dL/dY back to the cells it read."""

    index: int
    output_position: tuple[int, ...]
    upstream: float
    """dL/dY at this output cell."""
    contributions: tuple[Contribution, ...]
    """One per window cell, in the forward window's order."""
    note: str = ""
    """A max-pool tie or an all-zero L2 window, in a sentence; '' otherwise."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "output_position": list(self.output_position),
            "upstream": self.upstream,
            "contributions": [c.to_dict() for c in self.contributions],
            "note": self.note,
        }


def uncovered_note(position: Sequence[int], reports: Sequence[SizeReport]) -> str:
    """Why no window reads input cell position (spatial part only), or '' when one does."""
    names = ("position",) if len(reports) == 1 else ("row", "column")
    for at, report, name in zip(position, reports, names, strict=True):
        if at in report.uncovered:
            cause = report.causes[report.uncovered.index(at)]
            return (
                f"no window reads this cell, so its gradient is 0: {name} {at} is "
                f"{UNCOVERED_CAUSES[cause]}"
            )
    return ""


def gather_input_steps(
    trace: Trace, scatter: Sequence[ScatterStep], share_note: str = ""
) -> tuple[tuple[GradStep, ...], np.ndarray]:
    """Per input cell, the terms every window sent it (the scatter read the other way round),
    and grad_input (C, *spatial)."""
    terms: dict[tuple[int, ...], list[GradTerm]] = {}
    for step in scatter:
        for c in step.contributions:
            if c.is_padding:
                continue
            term = GradTerm(step.output_position, c.upstream, c.factor, c.factor_position, c.amount)
            terms.setdefault(c.input_position, []).append(term)
    grad = np.zeros(trace.input.shape)
    steps = []
    for index, position in enumerate(np.ndindex(grad.shape)):
        found = tuple(terms.get(position, ()))
        value = float(sum(t.product for t in found))
        grad[position] = value
        note = share_note if found else uncovered_note(position[1:], trace.size_reports)
        steps.append(GradStep(index, "input", position, found, value, note))
    return tuple(steps), frozen(grad)
