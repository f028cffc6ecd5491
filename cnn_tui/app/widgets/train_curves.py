"""TrainCurves: the loss and accuracy plots of a run or race, against optimizer steps."""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual_plot import HiResMode, LegendLocation, PlotWidget

from ...core.metrics import MetricsLog, smooth
from .train_board import TEST_COLOUR, run_colour

TEST_MARKER = "●"
"""Test-set points (after each epoch) are drawn as markers on their line."""

LEGEND_MARGIN = 8
"""Plot rows needed beside a race's legend lines (its border, and room for the curves)."""

SMOOTHING = 0.6
"""Weight of metrics.smooth() for the training curves (TensorBoard's slider)."""


class TrainPlot(PlotWidget, can_focus=False):
    """A PlotWidget that only shows: the curves are redrawn from the log a few times a second,
    which would undo any zoom, so panning and zooming are off."""

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id, allow_pan_and_zoom=False)
        self.title = title
        """What is plotted: 'loss' or 'accuracy'."""

    def on_mount(self) -> None:
        # titles go in the border, so the margins hold only the tick labels
        self.margin_top = 0
        self.margin_bottom = 1
        self.margin_left = 7
        self.border_title = self.title
        self.border_subtitle = "step"


class TrainCurves(Horizontal):
    """Two plots side by side: loss (train smoothed, test) and accuracy (train, test). A race
    overlays one colour per optimizer, with a legend."""

    DEFAULT_CSS = """
    TrainCurves {
        height: 1fr;
        min-height: 6;
    }
    TrainCurves > TrainPlot {
        width: 1fr;
        height: 1fr;
        border: round $primary 50%;
        border-title-color: $text;
        border-title-style: bold;
    }
    TrainCurves > TrainPlot #legend {
        border: round $foreground 40%;
        background: $surface;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.drawn: dict[str, tuple[list[float], list[float]]] = {}
        """Every series on the plots now, by 'loss/<run>/train' or 'accuracy/<run>/test':
        (steps, values), the train values smoothed."""
        self.runs_drawn = 0
        """How many runs the plots show."""
        self.legend_shown = False
        """Whether the loss plot shows the race's legend."""

    def compose(self) -> ComposeResult:
        yield TrainPlot("loss", id="train-loss-plot")
        yield TrainPlot("accuracy", id="train-accuracy-plot")

    def show(self, log: MetricsLog) -> None:
        """Redraw both plots from the log."""
        runs = log.runs()
        race = len(runs) > 1
        totals = [
            int(point.extra.get("total_steps") or 0)
            for run in runs
            if (point := log.last(run, "start")) is not None
        ]
        total = max(totals, default=0)
        self.drawn = {}
        self.runs_drawn = len(runs)
        for value in ("loss", "accuracy"):
            plot = self.query_one(f"#train-{value}-plot", TrainPlot)
            plot.clear()
            for index, run in enumerate(runs):
                steps, values = log.series(run, "train", value)
                test_steps, test_values = log.series(run, "test", value)
                values = smooth(values, SMOOTHING)
                self.drawn[f"{value}/{run}/train"] = (steps, values)
                self.drawn[f"{value}/{run}/test"] = (test_steps, test_values)
                train_colour = run_colour(index)
                test_colour = train_colour if race else TEST_COLOUR
                if steps:
                    plot.plot(
                        steps,
                        values,
                        line_style=train_colour,
                        hires_mode=HiResMode.BRAILLE,
                        label=run if race else None,
                    )
                if len(test_steps) > 1:
                    plot.plot(
                        test_steps,
                        test_values,
                        line_style=test_colour,
                        hires_mode=HiResMode.BRAILLE,
                    )
                if test_steps:
                    plot.scatter(
                        test_steps, test_values, marker=TEST_MARKER, marker_style=test_colour
                    )
            plot.border_subtitle = self._key(race)
            plot.set_xlimits(0, total if total else None)
            drawn = [ys for key, (_, ys) in self.drawn.items() if key.startswith(f"{value}/")]
            plot.set_ylimits(*self._y_limits(value, drawn))
        self._place_legend(len(runs) if race else 0)

    @staticmethod
    def _y_limits(value: str, series: list[list[float]]) -> tuple[float | None, float | None]:
        """Automatic limits, except where the plot cannot find a range itself: one value (or
        several equal ones, such as a loss that blew up to 1e23) gets a band around it."""
        finite = [y for ys in series for y in ys if math.isfinite(y)]
        top = 1.0 if value == "accuracy" and finite else None
        if not finite:
            return None, top
        low, high = min(finite), max(finite)
        if top is not None:
            high = max(high, top)
        if high - low > 1e-9 * max(1.0, abs(high)):
            return None, top
        pad = max(abs(high) * 0.05, 0.05)
        return low - pad, high + pad

    @staticmethod
    def _key(race: bool) -> str:
        """The bottom border says what is drawn: a race's runs are named by the legend and the
        board, a single run's two curves here."""
        if race:
            return f"step   {TEST_MARKER} test set"
        train, test = run_colour(0), TEST_COLOUR
        return f"step   [{train}]⠒⠒[/] train (smoothed)  [{test}]{TEST_MARKER}[/] test"

    def _place_legend(self, runs: int) -> None:
        """A race's legend (one line per run) goes in the loss plot when the plot has room for
        it beside the curves; else the board's coloured squares say which run is which."""
        plot = self.query_one("#train-loss-plot", TrainPlot)
        self.legend_shown = runs > 0 and plot.content_size.height >= runs + LEGEND_MARGIN
        plot.show_legend(LegendLocation.TOPRIGHT, is_visible=self.legend_shown)
        self.query_one("#train-accuracy-plot", TrainPlot).show_legend(is_visible=False)

    def on_resize(self) -> None:
        if self.runs_drawn:
            self._place_legend(self.runs_drawn if self.runs_drawn > 1 else 0)
