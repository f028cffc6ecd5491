"""DrawingCanvas: a grey picture at the network's input size, drawn with the mouse (press
and drag) or the keys (arrows move the cursor, space paints, x erases, c clears, b changes
the brush). Each change posts Changed with the pixels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

BRUSHES = (1, 2, 3)
"""Brush sides in pixels: 1x1, 2x2, 3x3 (from the cursor down and right)."""
CURSOR = "#e0a000"


def _grey(value: float) -> str:
    level = max(0, min(255, round(value * 255)))
    return f"#{level:02x}{level:02x}{level:02x}"


class DrawingCanvas(Widget, can_focus=True):
    """Pixels in [0, 1], rows x columns; each pixel two columns wide and one row high, or a
    half cell (one column, half a row) when the picture is too big for that."""

    TAKES_TYPED_TEXT = True  # c, b, x and space are its own: the digits must not switch modes
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("up", "move(-1,0)", "Up", show=False),
        Binding("down", "move(1,0)", "Down", show=False),
        Binding("left", "move(0,-1)", "Left", show=False),
        Binding("right", "move(0,1)", "Right", show=False),
        Binding("space", "paint(1.0)", "Paint", tooltip="Paint under the cursor"),
        Binding("x", "paint(0.0)", "Erase", tooltip="Erase under the cursor", show=False),
        Binding("c", "clear", "Clear", tooltip="Clear the canvas"),
        Binding("b", "brush", "Brush", tooltip="Brush size 1, 2 or 3 pixels"),
    ]

    @dataclass
    class Changed(Message):
        canvas: DrawingCanvas

    def __init__(self, rows: int = 8, columns: int = 8, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pixels = [[0.0] * columns for _ in range(rows)]
        """What is drawn, row by row, each value 0 (black) to 1 (white)."""
        self.cursor = (rows // 2, columns // 2)
        self.brush = BRUSHES[0]
        self._dragging = False

    @property
    def size_pixels(self) -> tuple[int, int]:
        return len(self.pixels), len(self.pixels[0])

    def set_pixels(self, pixels: list[list[float]]) -> None:
        """Start from a picture (a test image), without posting Changed."""
        self.pixels = [[float(v) for v in row] for row in pixels]
        rows, columns = self.size_pixels
        self.cursor = (min(self.cursor[0], rows - 1), min(self.cursor[1], columns - 1))
        self.refresh(layout=True)

    @property
    def half(self) -> bool:
        """Whether each pixel is a half cell (the picture is too tall for whole rows)."""
        rows, columns = self.size_pixels
        return rows > 16 or columns > 32

    def get_content_width(self, container, viewport) -> int:
        return self.size_pixels[1] * (1 if self.half else 2)

    def get_content_height(self, container, viewport, width) -> int:
        rows = self.size_pixels[0]
        return (rows + 1) // 2 if self.half else rows

    def _colour(self, y: int, x: int) -> str:
        rows, columns = self.size_pixels
        if not (0 <= y < rows and 0 <= x < columns):
            return "#000000"
        cy, cx = self.cursor
        if self.has_focus and cy <= y < cy + self.brush and cx <= x < cx + self.brush:
            return CURSOR
        return _grey(self.pixels[y][x])

    def render_line(self, y: int) -> Strip:
        columns = self.size_pixels[1]
        if self.half:
            segments = [
                Segment(
                    "\u2580",
                    Style(color=self._colour(2 * y, x), bgcolor=self._colour(2 * y + 1, x)),
                )
                for x in range(columns)
            ]
        else:
            segments = [Segment("  ", Style(bgcolor=self._colour(y, x))) for x in range(columns)]
        return Strip(segments)

    def action_move(self, dy: int, dx: int) -> None:
        rows, columns = self.size_pixels
        y, x = self.cursor
        self.cursor = (max(0, min(rows - 1, y + dy)), max(0, min(columns - 1, x + dx)))
        self.refresh()

    def paint_at(self, y: int, x: int, value: float) -> None:
        rows, columns = self.size_pixels
        for r in range(y, min(rows, y + self.brush)):
            for q in range(x, min(columns, x + self.brush)):
                self.pixels[r][q] = value
        self.refresh()
        self.post_message(self.Changed(self))

    def action_paint(self, value: float) -> None:
        self.paint_at(*self.cursor, value)

    def action_clear(self) -> None:
        rows, columns = self.size_pixels
        self.pixels = [[0.0] * columns for _ in range(rows)]
        self.refresh()
        self.post_message(self.Changed(self))

    def action_brush(self) -> None:
        self.brush = BRUSHES[(BRUSHES.index(self.brush) + 1) % len(BRUSHES)]
        self.refresh()

    def _pixel_of(self, event: events.MouseEvent) -> tuple[int, int] | None:
        offset = event.get_content_offset(self)
        if offset is None:
            return None
        if self.half:
            return offset.y * 2, offset.x
        return offset.y, offset.x // 2

    def on_mouse_down(self, event: events.MouseDown) -> None:
        where = self._pixel_of(event)
        if where is not None:
            self._dragging = True
            self.capture_mouse()
            self.cursor = where
            self.paint_at(*where, 0.0 if event.button == 3 else 1.0)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        where = self._pixel_of(event) if self._dragging else None
        rows, columns = self.size_pixels
        inside = where is not None and 0 <= where[0] < rows and 0 <= where[1] < columns
        if inside and where != self.cursor:
            self.cursor = where  # type: ignore[assignment]
            self.paint_at(*self.cursor, 1.0)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        self._dragging = False
        self.release_mouse()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
