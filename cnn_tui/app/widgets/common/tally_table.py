"""TallyTable: the `cnn-tui summary` layer table (input line, layers, dim and peak rows)."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.events import Resize

from ....core.stacks.tally import Tally
from ....core.views.report import (
    DROPPABLE_COLUMNS,
    SUMMARY_COLUMNS,
    SummaryLine,
    column_widths,
    fit_columns,
    summary_lines,
)
from .result_table import ResultTable

LAYER_MIN_WIDTH = 12
"""The layer column never shrinks below this; longer labels end in an ellipsis."""


class TallyTable(ResultTable):
    """One line per top-level layer of a tally; narrow terminals drop biases, then memory
    (DROPPABLE)."""

    COMPONENT_CLASSES = {
        "tally-table--input",
        "tally-table--uncounted",
        "tally-table--peak",
    }
    EMPHASES: ClassVar[tuple[str, ...]] = ("input", "uncounted", "peak")
    """Row emphases, each styled by its `tally-table--<emphasis>` component class; a subclass
    may add its own (with the component classes and CSS to match)."""
    DROPPABLE: ClassVar[tuple[str, ...]] = DROPPABLE_COLUMNS
    """The columns a narrow table drops, first to last."""
    DEFAULT_CSS = """
    TallyTable {
        & > .tally-table--input {
            color: $text-muted;
            text-style: italic;
        }
        & > .tally-table--uncounted {
            color: $text-muted;
        }
        & > .tally-table--peak {
            color: $text-warning;
            text-style: bold;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(zebra_stripes=False, id=id, classes=classes)
        self.result: Tally | None = None
        """The tally shown, or None before the first one."""
        self.lines: list[SummaryLine] = []
        """Its lines as text, input line first."""
        self.columns_shown: tuple[str, ...] = ()
        """The columns that fit the current width."""

    def on_mount(self) -> None:
        # cell styles are resolved from the theme, so a new theme needs the rows rebuilt
        self.watch(self.app, "theme", lambda _: self.call_after_refresh(self._fill), init=False)

    def show_tally(self, result: Tally) -> None:
        """Show result's top-level rows and mark the table fresh."""
        self.result = result
        self.show_lines(summary_lines(result))

    def show_lines(self, lines: list[SummaryLine]) -> None:
        """Show prepared lines (cells by column, an emphasis from EMPHASES or '') and mark the
        table fresh; each row's key is its '#' cell, or 'input-<n>' where that is empty."""
        self.lines = lines
        self.set_stale(False)
        self._fill()

    def _room(self) -> int:
        # a vertical scrollbar takes its width from the columns
        return max(self.size.width - self.styles.scrollbar_size_vertical, 0)

    def _columns_for(self, width: int) -> tuple[str, ...]:
        if not width:
            return SUMMARY_COLUMNS
        gap = 2 * self.cell_padding
        return tuple(fit_columns(self.lines, width, gap=gap, droppable=self.DROPPABLE))

    def _cell_style(self, component: str) -> Style:
        # the full style, so '$text-muted' is blended with the background; the background
        # itself is left to the table (zebra stripes, cursor)
        full = self.get_component_rich_style(component)
        return Style(color=full.color, bold=full.bold, italic=full.italic)

    def _on_resize(self, event: Resize) -> None:
        if self.lines and self._columns_for(self._room()) != self.columns_shown:
            self._fill()

    def _fill(self) -> None:
        if not self.lines:
            return
        columns = self._columns_for(self._room())
        widths = column_widths(self.lines)
        gap = 2 * self.cell_padding
        others = sum(widths[c] + gap for c in columns if c != "layer")
        layer_width = widths["layer"]
        if self._room() and others + layer_width + gap > self._room():
            layer_width = max(LAYER_MIN_WIDTH, self._room() - others - gap)
        styles = {
            emphasis: self._cell_style(f"tally-table--{emphasis}") for emphasis in self.EMPHASES
        }
        styles[""] = Style()
        cursor = self.cursor_row
        self.clear(columns=True)
        self.columns_shown = columns
        for name in columns:
            justify = "left" if name == "layer" else "right"
            self.add_column(
                Text(name, justify=justify),
                key=name,
                width=layer_width if name == "layer" else widths[name],
            )
        for number, line in enumerate(self.lines):
            style = styles[line.emphasis]
            self.add_row(
                *(
                    Text(
                        line.cells.get(name, ""),
                        style=style,
                        justify="left" if name == "layer" else "right",
                        no_wrap=True,
                        overflow="ellipsis",
                    )
                    for name in columns
                ),
                key=line.cells.get("#") or f"input-{number}",
            )
        if 0 < cursor < self.row_count:
            self.move_cursor(row=cursor, animate=False)
