"""LossPlot: each run's loss against the step, as log10 of its height above the lowest
minimum (so a run closing in on the minimum falls in a straight line), up to the step shown."""

from __future__ import annotations

import math

from textual_plot import HiResMode, PlotWidget

from ....core.optim.paths import Run
from ....core.optim.surfaces import Surface
from ....core.views.train_status import run_colour

FLOOR = 1e-12
"""Heights below this are drawn at it (log10: −12): a run that has arrived stays on the plot."""


def log_heights(where: Surface, losses: tuple[float, ...]) -> list[float]:
    """log10(f − f_min) of each loss, f_min the surface's lowest minimum; at least log10(FLOOR)."""
    lowest = min(where.loss(m) for m in where.minima)
    return [
        math.log10(max(loss - lowest, FLOOR)) if math.isfinite(loss) else CEILING for loss in losses
    ]


CEILING = 300.0
"""Where a loss that overflowed is drawn (a diverged run's last point)."""


class LossPlot(PlotWidget, can_focus=False):
    """Only shows: panning and zooming are off (it is redrawn at every step)."""

    DEFAULT_CSS = """
    LossPlot {
        height: 1fr;
        border: round $primary 50%;
        border-title-color: $text;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, allow_pan_and_zoom=False)

    def on_mount(self) -> None:
        self.margin_top = 0
        self.margin_bottom = 1
        self.margin_left = 4
        self.border_title = "log₁₀(f − f_min)"
        self.border_subtitle = "step"

    def show(self, where: Surface, runs: tuple[Run, ...], step: int, steps: int) -> None:
        self.clear()
        for index, run in enumerate(runs):
            heights = log_heights(where, run.losses[: step + 1])
            if len(heights) > 1:
                self.plot(
                    list(range(len(heights))),
                    heights,
                    line_style=run_colour(index),
                    hires_mode=HiResMode.BRAILLE,
                )
        self.set_xlimits(0, steps)
        every = [h for run in runs for h in log_heights(where, run.losses)]
        if every:
            low, high = min(every), max(every)
            self.set_ylimits(low - 0.5, high + 0.5 if high > low else low + 1)
