"""ReceptiveFieldTable: field size, jump and start after each top-level layer of a stack."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.events import Resize

from ....core.stacks.receptive_field import FieldRow
from ....core.views.report import FIELD_COLUMNS, field_cells
from ..common.result_table import ResultTable

LAYER_MIN_WIDTH = 12
"""Long block labels (a whole residual body) shrink to the room left, down to this, and end
in an ellipsis: the figures matter more."""


class ReceptiveFieldTable(ResultTable):
    """One row per top-level layer: '#', layer, output, field, jump, start."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows_shown: tuple[FieldRow, ...] = ()
        """The receptive-field rows on screen."""
        self._filled_width = 0

    def show_fields(self, rows: Sequence[FieldRow]) -> None:
        """Replace the rows and mark the table fresh."""
        self.rows_shown = tuple(rows)
        self.set_stale(False)
        self._fill()

    def _on_resize(self, event: Resize) -> None:
        if self.rows_shown and self.size.width != self._filled_width:
            self._fill()

    def _fill(self) -> None:
        self._filled_width = self.size.width
        self.clear(columns=True)
        lines = [field_cells(row) for row in self.rows_shown]
        widths = {
            name: max([len(name)] + [len(cells[name]) for cells in lines]) for name in FIELD_COLUMNS
        }
        gap = 2 * self.cell_padding
        room = self.size.width - self.styles.scrollbar_size_vertical
        others = sum(widths[name] + gap for name in FIELD_COLUMNS if name != "layer")
        if room > 0:
            widths["layer"] = max(LAYER_MIN_WIDTH, min(widths["layer"], room - others - gap))
        for name in FIELD_COLUMNS:
            width = widths[name]
            self.add_column(
                Text(name, justify="left" if name == "layer" else "right"), key=name, width=width
            )
        for row, cells in zip(self.rows_shown, lines, strict=True):
            self.add_row(
                *(
                    Text(
                        cells[name],
                        justify="left" if name == "layer" else "right",
                        no_wrap=True,
                        overflow="ellipsis",
                    )
                    for name in FIELD_COLUMNS
                ),
                key=row.number,
            )
