"""TrainBoard: the leaderboard of a run or race: test accuracy, losses, speed and status per run
(the rows, their order and their text come from `core.views.train_status.board_rows`)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from ....core.training.metrics import MetricsLog
from ....core.views.train_status import BOARD_COLUMNS as COLUMNS
from ....core.views.train_status import BoardRow, board_rows


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
            Text(cells["status"], style=error if row.failed else ""),
        ]

    @property
    def chosen_run(self) -> str | None:
        """The run under the cursor, if any."""
        if not self.rows_shown or not 0 <= self.cursor_row < len(self.rows_shown):
            return None
        return self.rows_shown[self.cursor_row].run
