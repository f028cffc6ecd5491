"""TrainCurves: the loss and accuracy plots of a run or race, against optimizer steps or
epochs."""

from __future__ import annotations

import math
from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual_plot import (
    AxisFormatter,
    HiResMode,
    NumericAxisFormatter,
    PlotWidget,
)

from ....core.training.metrics import AXES, Axis, MetricsLog, epoch_ticks, smooth, tick_labels
from ....core.views.train_status import TEST_COLOUR, run_colour

TEST_MARKER = "●"
"""Test-set points (after each epoch) are drawn as markers on their line."""

TITLE_SPARE = 6
"""Border columns a plot's title cannot use (the corners and the padding around the title)."""

SMOOTHING = 0.6
"""Weight of metrics.smooth() for the training curves (TensorBoard's slider)."""


LAST_COLUMN = 1 - 1e-6
"""textual-plot drops a marker that lands exactly on the right edge of the x axis, and the final
test score lands there: such a marker is drawn this fraction of the axis in, in the last column."""


def legend_shares(names: Sequence[str], widths: Sequence[int]) -> list[list[int]]:
    """Which runs (by index) each plot's title names after its own title ('loss': 4 columns,
    'accuracy': 8), in order, as many as fit in each width; the rest are left out."""
    shares: list[list[int]] = [[] for _ in widths]
    index = 0
    for plot, width in enumerate(widths):
        used = len(("loss", "accuracy")[plot]) if plot < 2 else 0
        while index < len(names) and used + 5 + len(names[index]) <= width:
            used += 5 + len(names[index])  # two spaces, the coloured line, a space, the name
            shares[plot].append(index)
            index += 1
    return shares


class EpochAxisFormatter(AxisFormatter):
    """Ticks of an epoch axis from the core: whole epochs (0, 1, 2, ...) once the axis spans
    two, never a long fraction."""

    def get_ticks(self, min_: float, max_: float, max_ticks: int = 8) -> list[float]:
        return epoch_ticks(min_, max_, max_ticks)

    def get_labels_for_ticks(self, ticks: Sequence[float]) -> list[str]:
        return tick_labels(list(ticks))


X_FORMATTERS: dict[Axis, AxisFormatter] = {
    "step": NumericAxisFormatter(),
    "epoch": EpochAxisFormatter(),
}
"""The x tick labels on each axis (the formatters keep no state, so the plots share them)."""


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
        self.border_subtitle = AXES[0]


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
        (xs, values) with xs in steps or epochs (see axis), the train values smoothed."""
        self.axis: Axis = AXES[0]
        """What the plots are drawn against now: 'step' or 'epoch'."""
        self.runs_drawn = 0
        """How many runs the plots show."""
        self.legend_shown = False
        """Whether the plots' titles name every run of the race."""
        self.run_names: list[str] = []
        """The runs drawn, in the race's order (their colours)."""

    def compose(self) -> ComposeResult:
        yield TrainPlot("loss", id="train-loss-plot")
        yield TrainPlot("accuracy", id="train-accuracy-plot")

    def show(self, log: MetricsLog, axis: Axis = "step") -> None:
        """Redraw both plots from the log, against steps or epochs."""
        runs = log.runs()
        race = len(runs) > 1
        end = log.x_end(axis)
        self.axis = axis
        self.drawn = {}
        self.runs_drawn = len(runs)
        self.run_names = list(runs)
        for value in ("loss", "accuracy"):
            plot = self.query_one(f"#train-{value}-plot", TrainPlot)
            plot.clear()
            for index, run in enumerate(runs):
                xs, values = log.series(run, "train", value, axis)
                test_xs, test_values = log.series(run, "test", value, axis)
                values = smooth(values, SMOOTHING)
                self.drawn[f"{value}/{run}/train"] = (xs, values)
                self.drawn[f"{value}/{run}/test"] = (test_xs, test_values)
                train_colour = run_colour(index)
                test_colour = train_colour if race else TEST_COLOUR
                if xs:
                    plot.plot(
                        xs,
                        values,
                        line_style=train_colour,
                        hires_mode=HiResMode.BRAILLE,
                    )
                if len(test_xs) > 1:
                    plot.plot(
                        test_xs,
                        test_values,
                        line_style=test_colour,
                        hires_mode=HiResMode.BRAILLE,
                    )
                if test_xs:
                    edge = end * LAST_COLUMN if end else math.inf
                    plot.scatter(
                        [min(x, edge) for x in test_xs],
                        test_values,
                        marker=TEST_MARKER,
                        marker_style=test_colour,
                    )
            plot.border_subtitle = self._key(race, axis)
            plot.set_x_formatter(X_FORMATTERS[axis])
            plot.set_xlimits(0, end)
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
    def _key(race: bool, axis: Axis = "step") -> str:
        """The bottom border says what is drawn against what: a race's runs are named by the
        legend and the board, a single run's two curves here."""
        unit = f"{axis:<7}"  # 'epoch' takes the room of a space: the key fits an 80-column plot
        if race:
            return f"{unit}{TEST_MARKER} test set"
        train, test = run_colour(0), TEST_COLOUR
        return f"{unit}[{train}]⠒⠒[/] train (smoothed)  [{test}]{TEST_MARKER}[/] test"

    def _place_legend(self, runs: int) -> None:
        """A race's legend (a coloured line and name per run) goes in the plots' top borders,
        outside the plotting area, so it covers no curve: the loss plot's first, the rest in
        the accuracy plot's; when the borders are too narrow for every name, the board's
        coloured squares say which run is which."""
        names = self.run_names[:runs]
        plots = [self.query_one(f"#train-{v}-plot", TrainPlot) for v in ("loss", "accuracy")]
        shares: list[list[int]] = [[], []]
        if names:
            shares = legend_shares(names, [plot.size.width - TITLE_SPARE for plot in plots])
        self.legend_shown = bool(names) and sum(map(len, shares)) == len(names)
        for plot, share in zip(plots, shares, strict=True):
            plot.show_legend(is_visible=False)
            title = Content.styled(plot.title, "bold")
            if self.legend_shown:
                for index in share:
                    entry = Content.assemble(("⠒⠒ ", run_colour(index)), names[index])
                    title = Content.assemble(title, "  ", entry)
            plot.border_title = title

    def on_resize(self) -> None:
        if self.runs_drawn:
            self._place_legend(self.runs_drawn if self.runs_drawn > 1 else 0)
