"""BuilderTable: the builder's tally table, with block markers, error rows and a row cursor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.binding import Binding
from textual.message import Message

from ....core.stacks.tally import Tally
from ....core.views.builder_rows import BUILDER_DROPPABLE, COLLAPSED, EXPANDED
from ....core.views.report import SummaryLine
from ..common.tally_table import TallyTable


class BuilderTable(TallyTable):
    """Every layer of the stack being built, blocks before their (indented) children.

    Besides the tally's emphases, a row may be 'error' (the layer that does not fit) or
    'unreached' (a layer after it, which the tally never got to). Clicking a block's marker
    posts MarkerClicked; enter (or a click on the highlighted row) posts RowSelected."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "tally-table--error",
        "tally-table--unreached",
    }
    EMPHASES: ClassVar[tuple[str, ...]] = (*TallyTable.EMPHASES, "error", "unreached")
    DROPPABLE: ClassVar[tuple[str, ...]] = BUILDER_DROPPABLE
    BINDINGS: ClassVar[list[Binding]] = [
        Binding(
            "enter",
            "select_cursor",
            "Edit",
            tooltip="Edit the layer under the cursor in a form",
            id="builder-table-edit",
            show=False,
        ),
    ]
    DEFAULT_CSS = """
    BuilderTable {
        & > .tally-table--error {
            color: $text-error;
            text-style: bold;
        }
        & > .tally-table--unreached {
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    @dataclass
    class MarkerClicked(Message):
        """The student clicked a block's ▸/▾ marker."""

        table: BuilderTable
        row: int
        """The index of the block's row."""

        @property
        def control(self) -> BuilderTable:
            return self.table

    def show_rows(
        self, result: Tally, lines: list[SummaryLine], fields_ok: bool, row: int | None
    ) -> None:
        """Show result's lines, dimmed while a field is unusable; the cursor goes to row (None:
        it stays at its place, or the nearest row left)."""
        index = self.cursor_row if row is None else row
        self.result = result
        self.show_lines(lines)
        self.set_stale(not fields_ok)
        self.move_cursor(row=max(0, min(index, len(lines) - 1)), animate=False)

    def marker_column(self, row: int) -> int | None:
        """Where the block marker sits inside the layer cell of row, or None for a leaf."""
        if not 0 <= row < len(self.lines):
            return None
        text = self.lines[row].cells.get("layer", "")
        stripped = text.lstrip(" ")
        if stripped[:1] in (EXPANDED, COLLAPSED):
            return len(text) - len(stripped)
        return None

    def _layer_cell_left(self) -> int | None:
        """The x offset (in the table's content, before scrolling) of the layer column's text."""
        left = 0
        for column in self.ordered_columns:
            if column.key.value == "layer":
                return left + self.cell_padding
            left += column.get_render_width(self)
        return None

    async def _on_click(self, event: events.Click) -> None:
        meta = event.style.meta
        row = meta.get("row")
        # lines[0] is the input line, which is the table's row 0 too: rows and lines align
        marker = self.marker_column(row) if isinstance(row, int) and row >= 0 else None
        left = self._layer_cell_left()
        if marker is not None and left is not None:
            x = event.x + int(self.scroll_x) - left
            if marker <= x <= marker + 1:
                event.stop()
                self.move_cursor(row=row, animate=False)
                self.post_message(self.MarkerClicked(self, row))
                return
        await super()._on_click(event)
