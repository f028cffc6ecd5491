"""NumberGrid: an editable 2-D grid of numbers that also draws the stepper's highlights."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from textual import events, on
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget

from ....core.convolution.stepper import format_number
from ....core.plain_text import plural
from ...typed_keys import run_own_binding

Cell = tuple[int, int]
"""(row, column) in input coordinates: padding cells lie outside 0..size-1."""
Padding = tuple[tuple[int, int], tuple[int, int]]
"""((top, bottom), (left, right)) cells of padding around the values."""

NO_PADDING: Padding = ((0, 0), (0, 0))
NOT_COMPUTED = "·"
"""Shown for NaN: an output cell the stepper has not reached yet."""
TYPABLE = frozenset("0123456789-.")
"""Characters that start or extend an edit; 'e' only extends one (it cannot begin a number)."""


def _shown(value: float) -> str:
    """A cell's text: infinities as the narrow -∞ and ∞ (a max pool's padding)."""
    return ("∞" if value > 0 else "-∞") if math.isinf(value) else format_number(value)


class NumberGrid(Widget, can_focus=True):
    """A grid of numbers: type into cells, resize, fill; shows padding, window and accent."""

    TAKES_TYPED_TEXT = True
    """Digits typed here are numbers, never mode keys (the app asks this)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "up", "move_cursor(-1, 0)", "Up", show=False, tooltip="Cell above (commits an edit)"
        ),
        Binding(
            "down", "move_cursor(1, 0)", "Down", show=False, tooltip="Cell below (commits an edit)"
        ),
        Binding(
            "left",
            "move_cursor(0, -1)",
            "Left",
            show=False,
            tooltip="Cell to the left (commits an edit)",
        ),
        Binding(
            "right",
            "move_cursor(0, 1)",
            "Right",
            show=False,
            tooltip="Cell to the right (commits an edit)",
        ),
        Binding("home", "row_edge(0)", "First column", show=False, tooltip="First cell of the row"),
        Binding("end", "row_edge(-1)", "Last column", show=False, tooltip="Last cell of the row"),
        Binding(
            "enter", "commit_edit", "Store", show=False, tooltip="Store the number being typed"
        ),
        Binding(
            "escape", "cancel_edit", "Cancel", show=False, tooltip="Forget the number being typed"
        ),
        Binding(
            "backspace",
            "delete_character",
            "Delete character",
            show=False,
            tooltip="Remove the last character typed",
        ),
        Binding(
            "ctrl+right",
            "resize(0, 1)",
            "+col",
            tooltip="Add a column of zeros on the right",
            id="number_grid.add_column",
        ),
        Binding(
            "ctrl+left",
            "resize(0, -1)",
            "-col",
            tooltip="Remove the last column",
            id="number_grid.remove_column",
        ),
        Binding(
            "ctrl+down",
            "resize(1, 0)",
            "+row",
            tooltip="Add a row of zeros at the bottom",
            id="number_grid.add_row",
        ),
        Binding(
            "ctrl+up",
            "resize(-1, 0)",
            "-row",
            tooltip="Remove the last row",
            id="number_grid.remove_row",
        ),
        Binding(
            "r",
            "random_fill",
            "Random",
            tooltip="Fill with random whole numbers",
            id="number_grid.random",
        ),
        Binding(
            "c,delete", "clear", "Clear", tooltip="Set every cell to 0", id="number_grid.clear"
        ),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "number-grid--title",
        "number-grid--padding",
        "number-grid--nan",
        "number-grid--greyed",
        "number-grid--window",
        "number-grid--accent",
        "number-grid--cursor",
        "number-grid--editing",
    }

    DEFAULT_CSS = """
    NumberGrid {
        width: auto;
        height: auto;
        & > .number-grid--title { text-style: bold; }
        & > .number-grid--padding {
            color: $foreground-muted;
            background: $panel;
            text-style: italic;
        }
        /* $foreground-muted, not $text-muted: an 'auto' colour in a component class renders
           white on the light theme */
        & > .number-grid--nan { color: $foreground-muted; }
        & > .number-grid--greyed {
            color: $foreground-muted;
            text-style: strike;
        }
        & > .number-grid--window { background: $accent 35%; text-style: bold; }
        & > .number-grid--accent { background: $success; color: $text; text-style: bold; }
        & > .number-grid--cursor { text-style: reverse; }
        & > .number-grid--editing { background: $primary; color: $text; text-style: underline; }
        &:focus > .number-grid--title { color: $accent; }
        &.-editing > .number-grid--title { color: $warning; }
    }
    """

    @dataclass
    class Changed(Message):
        """The student changed the numbers (a typed value, a resize, a fill or a clear)."""

        grid: NumberGrid
        """The grid that changed."""
        values: np.ndarray
        """A copy of the new values."""

        @property
        def control(self) -> NumberGrid:
            return self.grid

    @dataclass
    class Invalid(Message):
        """The student asked for something the grid cannot do; the old values stay."""

        grid: NumberGrid
        """The grid that refused."""
        message: str
        """One line saying what was wrong, naming the cell or the limit."""

        @property
        def control(self) -> NumberGrid:
            return self.grid

    values: reactive[np.ndarray] = reactive(
        lambda: np.zeros((1, 1)), always_update=True, layout=True
    )
    """The numbers, a 2-D float array (a copy is stored); NaN shows as a dim dot."""
    title: reactive[str] = reactive("", layout=True)
    """A bold line above the grid; empty for none."""
    padding: reactive[Padding] = reactive(NO_PADDING, layout=True)
    """((top, bottom), (left, right)) ring of padding cells drawn around the values as 0."""
    window: reactive[frozenset[Cell]] = reactive(frozenset())
    """Cells (input coordinates, padding allowed) highlighted as the current window."""
    accent: reactive[Cell | None] = reactive(None)
    """One cell drawn with a strong highlight: the current output cell or the max-pool winner."""
    greyed: reactive[frozenset[Cell]] = reactive(frozenset())
    """Cells drawn struck through: rows and columns the stride never reaches."""
    transpose: reactive[bool] = reactive(False, layout=True)
    """Show rows as columns (a 1-D signal down the screen); editing keys follow what is shown."""
    editable: reactive[bool] = reactive(True)
    """Whether the student may type into and resize the grid (and focus it)."""
    cursor: reactive[Cell] = reactive((0, 0))
    """The cell being edited, in value coordinates (drawn only while focused)."""
    padding_value: reactive[float] = reactive(0.0, layout=True)
    """What a padding cell holds: 0 for zero padding, -inf for a max pool's (drawn -∞)."""
    min_cell_width: reactive[int] = reactive(1, layout=True)
    """Every column at least this wide: an output grid set to its final widths does not shift
    as it fills in."""

    def __init__(
        self,
        values: np.ndarray | Sequence[Sequence[float]],
        *,
        title: str = "",
        editable: bool = True,
        transpose: bool = False,
        min_size: tuple[int, int] = (1, 1),
        max_size: tuple[int, int] = (12, 12),
        random_range: tuple[int, int] = (-2, 3),
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._edit: str | None = None
        self.min_size = min_size
        """Fewest (rows, columns) of values the resize keys allow."""
        self.max_size = max_size
        """Most (rows, columns) of values the resize keys allow."""
        self.random_range = random_range
        """`r` fills with integers from low (inclusive) to high (exclusive), as numpy does."""
        self.rng = np.random.default_rng()
        """Where `r` draws from; tests put a seeded generator here."""
        self.values = values
        self.title = title
        self.transpose = transpose
        self.editable = editable
        self.can_focus = editable

    # -----------------------------------------------------------------------------------------
    # state

    def validate_values(self, values: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        array = np.array(values, dtype=float, copy=True)
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim != 2:
            raise ValueError(f"NumberGrid needs 2-D values, got shape {array.shape}")
        return array

    def watch_values(self, old: np.ndarray, new: np.ndarray) -> None:
        # The screen re-sets values on every step; an edit survives unless the cell may be gone.
        if old.shape != new.shape:
            self._set_edit(None)
        self.cursor = self._clamp(self.cursor)

    def validate_padding(self, padding: Padding | int) -> Padding:
        if isinstance(padding, int):
            padding = ((padding, padding), (padding, padding))
        (top, bottom), (left, right) = padding
        sides = tuple(int(side) for side in (top, bottom, left, right))
        if min(sides) < 0:
            raise ValueError(f"padding cannot be negative, got {padding}")
        return ((sides[0], sides[1]), (sides[2], sides[3]))

    def validate_window(self, cells: frozenset[Cell] | Sequence[Cell]) -> frozenset[Cell]:
        return frozenset((int(r), int(c)) for r, c in cells)

    def validate_greyed(self, cells: frozenset[Cell] | Sequence[Cell]) -> frozenset[Cell]:
        return frozenset((int(r), int(c)) for r, c in cells)

    def validate_accent(self, cell: Cell | None) -> Cell | None:
        return None if cell is None else (int(cell[0]), int(cell[1]))

    def validate_cursor(self, cell: Cell) -> Cell:
        return self._clamp(cell)

    def watch_editable(self, editable: bool) -> None:
        self.can_focus = editable
        self.set_class(not editable, "-readonly")
        if not editable:
            self._set_edit(None)
            if self.has_focus:
                self.blur()
        self.refresh_bindings()

    def set_display(
        self,
        *,
        padding: Padding | int | None = None,
        window: frozenset[Cell] | Sequence[Cell] | None = None,
        accent: Cell | None = None,
        greyed: frozenset[Cell] | Sequence[Cell] | None = None,
    ) -> None:
        """Set the highlights in one go with a single refresh.

        None leaves padding, window and greyed as they are; accent is always set (None clears
        it), since the screen moves or drops it on every step.
        """
        if padding is not None:
            self.set_reactive(NumberGrid.padding, self.validate_padding(padding))
        if window is not None:
            self.set_reactive(NumberGrid.window, self.validate_window(window))
        if greyed is not None:
            self.set_reactive(NumberGrid.greyed, self.validate_greyed(greyed))
        self.set_reactive(NumberGrid.accent, self.validate_accent(accent))
        self.refresh(layout=True)

    @property
    def editing(self) -> str | None:
        """The text being typed into the cursor cell, or None when no edit is in progress."""
        return self._edit

    def _set_edit(self, text: str | None) -> None:
        self._edit = text
        self.set_class(text is not None, "-editing")
        # The edit text changes the column's width, so the widget may grow or shrink.
        self.refresh(layout=True)

    # -----------------------------------------------------------------------------------------
    # geometry: input coordinates (r, c) <-> displayed (row, column) of the whole picture

    @property
    def _shown_shape(self) -> tuple[int, int]:
        """(rows, columns) of values as displayed, without padding."""
        rows, cols = self.values.shape
        return (cols, rows) if self.transpose else (rows, cols)

    def _span(self) -> tuple[range, range]:
        """Input rows and columns covered, padding included."""
        rows, cols = self.values.shape
        (top, bottom), (left, right) = self.padding
        return range(-top, rows + bottom), range(-left, cols + right)

    def _display_cells(self) -> list[list[Cell]]:
        """Input coordinates of every displayed cell, line by line."""
        rows, cols = self._span()
        if self.transpose:
            return [[(r, c) for r in rows] for c in cols]
        return [[(r, c) for c in cols] for r in rows]

    def _to_shown(self, cell: Cell) -> Cell:
        r, c = cell
        return (c, r) if self.transpose else (r, c)

    def _from_shown(self, cell: Cell) -> Cell:
        return self._to_shown(cell)  # swapping twice is the identity

    def _clamp(self, cell: Cell) -> Cell:
        rows, cols = self.values.shape
        r, c = cell
        return (max(0, min(rows - 1, r)), max(0, min(cols - 1, c)))

    def _is_data(self, cell: Cell) -> bool:
        rows, cols = self.values.shape
        return 0 <= cell[0] < rows and 0 <= cell[1] < cols

    def cell_text(self, row: int, col: int) -> str:
        """What is displayed at input coordinates (row, col), padding included."""
        if not self._is_data((row, col)):
            return _shown(self.padding_value)
        if self._edit is not None and (row, col) == self.cursor:
            return self._edit
        value = self.values[row, col]
        return NOT_COMPUTED if math.isnan(value) else _shown(value)

    def _layout(self) -> tuple[list[list[Cell]], list[list[str]], list[int]]:
        cells = self._display_cells()
        texts = [[self.cell_text(r, c) for r, c in line] for line in cells]
        count = len(cells[0]) if cells else 0
        widths = [
            max([self.min_cell_width, *(len(line[j]) for line in texts)]) for j in range(count)
        ]
        return cells, texts, widths

    def rendered_lines(self) -> list[str]:
        """The plain text of every displayed line, the title first when there is one."""
        _, texts, widths = self._layout()
        lines = [self.title] if self.title else []
        for line in texts:
            lines.append(" ".join(text.rjust(w) for text, w in zip(line, widths, strict=True)))
        return lines

    def get_content_width(self, container: Size, viewport: Size) -> int:
        _, _, widths = self._layout()
        grid_width = sum(widths) + max(0, len(widths) - 1)
        return max(grid_width, Content(self.title).cell_length)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._display_cells()) + (1 if self.title else 0)

    # -----------------------------------------------------------------------------------------
    # drawing

    def _part(self, name: str) -> Style:
        """Only the rules a component class sets, so highlights layer (window over padding)."""
        # get_visual_style(partial=True) drops `reverse` and opaque backgrounds; read the rules.
        styles = self.get_component_styles(name)
        text = styles.text_style
        return Style(
            background=styles.background if styles.has_rule("background") else None,
            foreground=styles.color if styles.has_rule("color") else None,
            bold=text.bold,
            dim=text.dim,
            italic=text.italic,
            underline=text.underline,
            reverse=text.reverse,
            strike=text.strike,
        )

    def _cell_style(self, cell: Cell, parts: dict[str, Style], show_cursor: bool) -> Style:
        style = Style()
        editing_here = self._edit is not None and cell == self.cursor
        if not self._is_data(cell):
            style += parts["padding"]
        elif cell in self.greyed:
            style += parts["greyed"]
        elif math.isnan(self.values[cell]) and not editing_here:
            style += parts["nan"]
        if cell in self.window:
            style += parts["window"]
        if cell == self.accent:
            style += parts["accent"]
        if show_cursor and cell == self.cursor:
            style += parts["editing" if editing_here else "cursor"]
        return style

    def _gap_style(self, left: Cell, right: Cell, parts: dict[str, Style]) -> Style:
        # Shade the space between two cells of one region so the window and the padding ring
        # read as solid blocks rather than dotted cells.
        style = Style()
        if not self._is_data(left) and not self._is_data(right):
            style += Style(background=parts["padding"].background)
        if left in self.window and right in self.window:
            style += Style(background=parts["window"].background)
        return style

    def render(self) -> Content:
        cells, texts, widths = self._layout()
        names = ("title", "padding", "nan", "greyed", "window", "accent", "cursor", "editing")
        parts = {name: self._part(f"number-grid--{name}") for name in names}
        show_cursor = self.editable and self.has_focus and self.values.size > 0
        lines: list[Content] = []
        if self.title:
            lines.append(Content.assemble((self.title, parts["title"])))
        for line_cells, line_texts in zip(cells, texts, strict=True):
            pieces: list[tuple[str, Style]] = []
            for j, (cell, text) in enumerate(zip(line_cells, line_texts, strict=True)):
                if j:
                    pieces.append((" ", self._gap_style(line_cells[j - 1], cell, parts)))
                pieces.append((text.rjust(widths[j]), self._cell_style(cell, parts, show_cursor)))
            lines.append(Content.assemble(*pieces))
        return Content("\n").join(lines)

    # -----------------------------------------------------------------------------------------
    # editing

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.editable:
            return False
        if action in ("cancel_edit", "delete_character", "commit_edit"):
            # Without an edit in progress these keys belong to the screen (escape leaves the grid).
            return self._edit is not None
        return True

    @on(events.Key)
    async def _type_character(self, event: events.Key) -> None:
        char = event.character or ""
        typable = char in TYPABLE or (char in "eE" and self._edit is not None)
        if self.editable and self.values.size and len(char) == 1 and typable:
            # Digits belong to the grid while it has focus, even if the screen binds them.
            event.stop()
            event.prevent_default()
            self._set_edit((self._edit or "") + char)
        else:  # its own keys run now, in the order the keys came (see typed_keys)
            await run_own_binding(self, event)

    def _commit(self) -> bool:
        """Store the edit in progress; False (and Invalid posted) if it is not a number."""
        text = self._edit
        if text is None:
            return True
        self._set_edit(None)
        row, col = self._to_shown(self.cursor)
        where = f"row {row + 1}, column {col + 1}"
        if self.title:
            where = f"{self.title}, {where}"  # the stepper shows several grids at once
        try:
            value = float(text)
        except ValueError:
            self.post_message(self.Invalid(self, f"{where}: {text!r} is not a number"))
            return False
        if not math.isfinite(value):
            self.post_message(self.Invalid(self, f"{where}: {text!r} is too large"))
            return False
        if self.values[self.cursor] != value:
            values = self.values.copy()
            values[self.cursor] = value
            self._store(values)
        return True

    def _store(self, values: np.ndarray) -> None:
        self.values = values
        self.post_message(self.Changed(self, self.values.copy()))

    def action_move_cursor(self, rows: int, cols: int) -> None:
        if not self._commit():
            return  # stay on the bad cell so the student sees which one was refused
        row, col = self._to_shown(self.cursor)
        self.cursor = self._from_shown((row + rows, col + cols))

    def action_row_edge(self, which: int) -> None:
        if not self._commit():
            return
        row, _ = self._to_shown(self.cursor)
        last = self._shown_shape[1] - 1
        self.cursor = self._from_shown((row, last if which < 0 else 0))

    def action_commit_edit(self) -> None:
        self._commit()

    def action_cancel_edit(self) -> None:
        self._set_edit(None)

    def action_delete_character(self) -> None:
        if self._edit:
            self._set_edit(self._edit[:-1])

    def action_resize(self, rows: int, cols: int) -> None:
        if not self._commit():
            return
        subject = self.title or "the grid"
        shown_rows, shown_cols = self._shown_shape
        low, high = self._to_shown(self.min_size), self._to_shown(self.max_size)
        if rows:
            count, noun, least, most = shown_rows + rows, "row", low[0], high[0]
        else:
            count, noun, least, most = shown_cols + cols, "column", low[1], high[1]
        if count < least:
            self.post_message(self.Invalid(self, f"{subject} needs at least {plural(least, noun)}"))
            return
        if count > most:
            message = f"{subject} can have at most {plural(most, noun)}"
            self.post_message(self.Invalid(self, message))
            return
        data_rows, data_cols = self._from_shown((rows, cols))
        values = self.values
        if data_rows > 0:
            values = np.vstack([values, np.zeros((data_rows, values.shape[1]))])
        elif data_rows < 0:
            values = values[:data_rows]
        if data_cols > 0:
            values = np.hstack([values, np.zeros((values.shape[0], data_cols))])
        elif data_cols < 0:
            values = values[:, :data_cols]
        self._store(values)

    def action_random_fill(self) -> None:
        self._set_edit(None)
        low, high = self.random_range
        self._store(self.rng.integers(low, high, size=self.values.shape).astype(float))

    def action_clear(self) -> None:
        self._set_edit(None)
        self._store(np.zeros_like(self.values))

    @on(events.Click)
    def _click_cell(self, event: events.Click) -> None:
        if not self.editable:
            return
        event.stop()
        self.focus()
        offset = event.get_content_offset(self)
        if offset is None or self.values.size == 0:
            return
        line = offset.y - (1 if self.title else 0)
        cells, _, widths = self._layout()
        if not 0 <= line < len(cells):
            return
        # The space before a column counts as part of it, so every x lands on some column.
        right_edge = 0
        column = len(widths) - 1
        for j, width in enumerate(widths):
            right_edge += width + (1 if j else 0)
            if offset.x < right_edge:
                column = j
                break
        if not self._commit():
            return
        self.cursor = self._clamp(cells[line][column])

    def on_blur(self) -> None:
        # Leaving the grid keeps what was typed rather than silently dropping it.
        self._commit()
