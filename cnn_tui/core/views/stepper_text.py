"""The forward stepper's size lines under the sum: each axis's output-size formula, the cells
no window reaches, and the true-convolution flip (plain text with Rich's [dim] only)."""

from __future__ import annotations

from ..convolution.stepper import Trace

FLIP_NOTE = (
    "True convolution flips the kernel on both axes before sliding it: "
    "(A*B)_ij = sum A_st B_(i-s, j-t). Frameworks skip the flip (cross-correlation)."
)


def formula_lines(trace: Trace, full_flip: bool) -> list[str]:
    """The size formula per axis, what the stride leaves out (said once when both axes agree),
    and the flip: in full (full_flip) or as a reminder."""
    axes = ("length",) if len(trace.size_reports) == 1 else ("rows", "columns")
    lines = []
    explanations = [report.explanation for report in trace.size_reports]
    # a square grid usually leaves the same cells out of both axes: say it once, after both
    shared = len(explanations) == 2 and explanations[0] == explanations[1]
    for axis, report in zip(axes, trace.size_reports, strict=True):
        first, *dropped = report.formula_lines
        lines.append(f"{axis}: {first}")
        lines.extend(f"  {line}" for line in dropped)  # ceil mode's dropped last window
        if report.explanation and not shared:
            lines.append(f"  [dim]{report.explanation} (struck through)[/dim]")
    if shared and explanations[0]:
        lines.append(f"  [dim]on both axes, {explanations[0]} (struck through)[/dim]")
    if trace.flipped:
        short = "kernel flipped on both axes: true convolution"
        lines.append(f"[dim]{FLIP_NOTE if full_flip else short}[/dim]")
    return lines
