"""ResultTable: a read-only table of computed rows whose cursor shows only while it has focus,
and which dims when the form above it holds values the rows no longer match."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding
from textual.widgets import DataTable


class ResultTable(DataTable):
    # a row cursor has no columns to jump between: home and end go to the first and last row
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("home", "scroll_top", "First row", tooltip="Go to the first row", show=False),
        Binding("end", "scroll_bottom", "Last row", tooltip="Go to the last row", show=False),
    ]
    DEFAULT_CSS = """
    ResultTable {
        height: 1fr;
        min-height: 4;
        background: $surface;
        &.-stale {
            opacity: 50%;
        }
    }
    """

    def __init__(
        self, *, zebra_stripes: bool = True, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(
            cursor_type="row",
            zebra_stripes=zebra_stripes,
            show_cursor=False,
            id=id,
            classes=classes,
        )

    def on_focus(self) -> None:
        # the row cursor only shows while the table has the keys
        self.show_cursor = True

    def on_blur(self) -> None:
        self.show_cursor = False

    def set_stale(self, stale: bool) -> None:
        """Dim the rows: they belong to values the form no longer holds."""
        self.set_class(stale, "-stale")
