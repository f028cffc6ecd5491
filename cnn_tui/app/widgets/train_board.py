"""TrainBoard: the leaderboard of a run or race: test accuracy, losses, speed and status per run."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable

from ...core.training.metrics import MetricsLog
from ...core.views.race_board import rank_runs
from .train_status import ending_of

RUN_COLOURS: tuple[str, ...] = ("#3b8eea", "#ff8c1a", "#2ca02c", "#e04050", "#a070d0")
"""One colour per run of a race (MAX_RACE = 5), the same in the curves and the board; chosen to
read on dark and light backgrounds alike."""

TEST_COLOUR = RUN_COLOURS[1]
"""A single run's test curve."""

COLUMNS: tuple[str, ...] = (
    "run",
    "test acc",
    "test loss",
    "train loss",
    "img/s",
    "epoch",
    "status",
)


def run_colour(index: int) -> str:
    return RUN_COLOURS[index % len(RUN_COLOURS)]


@dataclass(frozen=True)
class BoardRow:
    """One run as the leaderboard shows it."""

    run: str
    colour: str
    """Its colour in the plots."""
    test_accuracy: float | None
    """The last test-set figures (None before the first epoch ends)."""
    test_loss: float | None
    train_loss: float | None
    """The last training report's loss (averaged over the batches it covers)."""
    images_per_second: float | None
    epoch: int
    """Epochs finished."""
    status: str
    """'starting', 'training', 'paused', 'done', 'stopped', or 'error: <why>'."""

    def cells(self) -> dict[str, str]:
        def maybe(value: float | None, form: str) -> str:
            return "—" if value is None else format(value, form)

        return {
            "run": self.run,
            "test acc": maybe(self.test_accuracy, ".1%"),
            "test loss": maybe(self.test_loss, ".4f"),
            "train loss": maybe(self.train_loss, ".4f"),
            "img/s": maybe(self.images_per_second, ",.0f"),
            "epoch": str(self.epoch),
            "status": self.status,
        }


def board_rows(log: MetricsLog, paused: bool = False) -> list[BoardRow]:
    """Every run of the log in leaderboard order (`rank_runs`: best test accuracy first)."""
    rows = []
    for index, run in enumerate(log.runs()):
        test = log.last(run, "test")
        train = log.last(run, "train")
        epochs = log.points(run, "epoch")
        ending = ending_of(log, run)
        if ending is None:
            status = "paused" if paused else ("training" if train is not None else "starting")
        elif ending.kind == "error":
            status = f"error: {ending.message}" if ending.message else "error"
        else:
            status = ending.kind
        speed = epochs[-1].images_per_second if epochs else None
        if train is not None and train.images_per_second and ending is None:
            speed = train.images_per_second
        rows.append(
            BoardRow(
                run=run,
                colour=run_colour(index),
                test_accuracy=test.accuracy if test else None,
                test_loss=test.loss if test else None,
                train_loss=train.loss if train else None,
                images_per_second=speed,
                epoch=len(epochs),
                status=status,
            )
        )
    return rank_runs(rows)


class TrainBoard(DataTable):
    """One row per run; the cursor row picks the run whose predictions and filters are shown."""

    DEFAULT_CSS = """
    TrainBoard {
        height: auto;
        max-height: 7;
        background: $surface;
        display: none;
        &.-filled {
            display: block;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, id=id, classes=classes)
        self.rows_shown: list[BoardRow] = []
        """The rows on screen, in order."""

    def on_mount(self) -> None:
        for column in COLUMNS:
            self.add_column(column, key=column)

    def show(self, log: MetricsLog, paused: bool = False) -> None:
        rows = board_rows(log, paused)
        if rows == self.rows_shown:
            return
        chosen = self.chosen_run
        same_order = [row.run for row in rows] == [row.run for row in self.rows_shown]
        self.rows_shown = rows
        if same_order:
            # new figures for the same runs: cells change, the table's layout does not
            for row in rows:
                for column, cell in zip(COLUMNS, self._cells(row), strict=True):
                    self.update_cell(row.run, column, cell)
            return
        self.set_class(bool(rows), "-filled")
        self.clear()
        for row in rows:
            self.add_row(*self._cells(row), key=row.run)
        names = [row.run for row in rows]
        if chosen in names:
            self.move_cursor(row=names.index(chosen), animate=False)

    def _cells(self, row: BoardRow) -> list[Text]:
        cells = row.cells()
        error = f"bold {self.app.theme_variables['error']}"
        return [
            Text.assemble(("■ ", row.colour), row.run),
            *(Text(cells[column], justify="right") for column in COLUMNS[1:-1]),
            Text(cells["status"], style=error if row.status.startswith("error") else ""),
        ]

    @property
    def chosen_run(self) -> str | None:
        """The run under the cursor, if any."""
        if not self.rows_shown or not 0 <= self.cursor_row < len(self.rows_shown):
            return None
        return self.rows_shown[self.cursor_row].run
