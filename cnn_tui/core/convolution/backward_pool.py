"""The backward pass of a traced 2-D pooling, cell by cell: where each window sends its dL/dY
(max: to its arg-max; average: evenly; Lp: x/||x|| for L2), and each input cell's sum."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backward_steps import (
    Contribution,
    GradStep,
    ScatterStep,
    Upstream,
    gather_input_steps,
    upstream_gradient,
)
from .stepper import Step, StepperError, Trace, format_number

ROUTING = {
    "maxpool": "max: each window's dL/dY goes to its largest cell (on a tie, the first in "
    "row-major window order, as PyTorch does); the others get 0",
    "avgpool": "average: each window's dL/dY is split evenly, 1/divisor to every cell it averaged",
    "lppool": "Lp: each cell gets sign(x)|x|^(p-1) / y^(p-1) times dL/dY; for L2 that is x/||x||",
}
"""How each pooling kind sends its gradient back, in a sentence, keyed by Trace.operation."""
ZERO_WINDOW_NOTE = (
    "an all-zero window has no defined gradient (x/||x|| is 0/0): shown as 0, as torch's "
    "lp_pool2d gives"
)


@dataclass(frozen=True, eq=False)
class PoolBackward:
    """The backward pass of a pooling trace."""

    forward: Trace
    upstream: Upstream
    grad_input: np.ndarray
    """(C, H, W): dL/dX."""
    scatter_steps: tuple[ScatterStep, ...]
    """One per output cell: the share each cell of its window receives; overlapping windows
    accumulate (Contribution.total)."""
    input_steps: tuple[GradStep, ...]
    """One per input cell: share x dL/dY from every window that read it."""
    routing: str
    """How this kind sends its gradient back (ROUTING)."""

    def to_dict(self) -> dict[str, Any]:
        trace = self.forward
        return {
            "operation": trace.operation,
            "input": trace.input.tolist(),
            "output": trace.output.tolist(),
            "upstream": self.upstream.to_dict(),
            "routing": self.routing,
            "grad_input": self.grad_input.tolist(),
            "scatter_steps": [step.to_dict() for step in self.scatter_steps],
            "input_steps": [step.to_dict() for step in self.input_steps],
        }


def pool_backward(trace: Trace, grad: Any = None, *, from_loss: bool = False) -> PoolBackward:
    """The backward pass of a pool2d trace for dL/dY = grad (all ones when None; 2Y with
    from_loss, for L = sum of squares of the output)."""
    if trace.kernel is not None:
        raise StepperError("pool_backward needs a pooling trace; use conv_backward for a conv")
    upstream = upstream_gradient(trace, grad, from_loss=from_loss)
    totals: dict[tuple[int, ...], float] = {}
    scatter = []
    for step in trace.steps:
        g = float(upstream.values[step.output_position])
        shares, note = _shares(trace.operation, step)
        sent = []
        for cell, share in zip(step.cells, shares, strict=True):
            amount = share * g
            totals[cell.position] = totals.get(cell.position, 0.0) + amount
            sent.append(
                Contribution(
                    cell.position, cell.is_padding, share, None, g, amount, totals[cell.position]
                )
            )
        scatter.append(ScatterStep(step.index, step.output_position, g, tuple(sent), note))
    input_steps, grad_input = gather_input_steps(trace, scatter)
    return PoolBackward(
        forward=trace,
        upstream=upstream,
        grad_input=grad_input,
        scatter_steps=tuple(scatter),
        input_steps=input_steps,
        routing=ROUTING[trace.operation],
    )


def _shares(operation: str, step: Step) -> tuple[list[float], str]:
    """What fraction of the window's dL/dY each of its cells gets, and a note on a tie or an
    all-zero L2 window."""
    cells = step.cells
    if operation == "maxpool":
        shares = [0.0] * len(cells)
        assert step.argmax is not None  # pool padding is at most half the window: one real cell
        shares[step.argmax] = 1.0
        tied = sum(cell.value == step.value for cell in cells)
        note = ""
        if tied > 1:
            note = (
                f"tie: {tied} cells hold the maximum {format_number(step.value)}; the first in "
                "row-major order gets it, as in PyTorch"
            )
        return shares, note
    if operation == "avgpool":
        assert step.divisor is not None
        return [1.0 / step.divisor] * len(cells), ""
    p = step.norm_type or 2.0
    if step.value == 0:
        return [0.0] * len(cells), ZERO_WINDOW_NOTE
    if p == 2:
        return [cell.value / step.value for cell in cells], ""
    return [
        math.copysign(abs(cell.value) ** (p - 1), cell.value) / step.value ** (p - 1)
        for cell in cells
    ], ""
