"""TrainPicture: a small image (a test digit, a filter, a feature map) drawn with half-cells.

Each cell is an upper half block coloured with two pixels (foreground above, background below):
this works in every terminal (over SSH and tmux too), asks the terminal nothing, and draws the
same cells every time, so tests and snapshots see exactly what a student sees. NumPy and Pillow
are imported when the first picture is made, not with the app.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.color import Color
from rich.color_triplet import ColorTriplet
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.widget import Widget

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult

SMALLEST = 8
"""Pictures narrower than this many pixels are blown up (nearest neighbour, so a 5x5 filter
shows its 25 weights as crisp blocks)."""


def cells_for(height: int, width: int, widest: int) -> tuple[int, int, int]:
    """(columns, rows, zoom) to draw a height x width picture at most `widest` columns wide:
    one pixel per column and two per row (half cells), blown up by a whole zoom factor when it
    is small, shrunk to fit when it is wide."""
    zoom = max(1, widest // width) if width < SMALLEST or 2 * width <= widest else 1
    columns = width * zoom
    pixel_rows = height * zoom
    if columns > widest:
        pixel_rows = max(1, round(pixel_rows * widest / columns))
        columns = widest
    return columns, math.ceil(pixel_rows / 2), zoom


class HalfCells:
    """A Rich renderable: an RGB picture resized to `columns` x 2 `rows` pixels, two pixels per
    cell (the upper one the block's colour, the lower one its background)."""

    def __init__(self, image: Image, columns: int, rows: int) -> None:
        self.image = image
        self.columns = columns
        self.rows = rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = self.columns
        pixels = self.image.convert("RGB").resize((width, 2 * self.rows)).tobytes()
        colours = [
            Color.from_triplet(ColorTriplet(*pixels[at : at + 3]))
            for at in range(0, len(pixels), 3)
        ]
        for row in range(self.rows):
            upper = colours[2 * row * width : (2 * row + 1) * width]
            lower = colours[(2 * row + 1) * width : (2 * row + 2) * width]
            for top, bottom in zip(upper, lower, strict=True):
                yield Segment("\u2580", Style(color=top, bgcolor=bottom))
            yield Segment("\n")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.columns, self.columns)


class TrainPicture(Widget):
    """A uint8 (H, W, 3) or (H, W) picture, zoomed to a readable size; `widest` caps its
    columns. Its size is fixed by the picture, so grids can lay it out before it is drawn."""

    DEFAULT_CSS = """
    TrainPicture {
        width: auto;
        height: auto;
    }
    """

    def __init__(
        self,
        picture: np.ndarray,
        *,
        widest: int = 16,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        import numpy as np
        from PIL import Image as PILImage

        super().__init__(id=id, classes=classes)
        if picture.ndim == 2:
            picture = np.repeat(picture[:, :, None], 3, axis=2)
        columns, rows, zoom = cells_for(picture.shape[0], picture.shape[1], widest)
        if zoom > 1:
            picture = picture.repeat(zoom, axis=0).repeat(zoom, axis=1)
        self.image = PILImage.fromarray(np.ascontiguousarray(picture, dtype=np.uint8), "RGB")
        """The picture at its drawn pixel size (or larger: the renderer shrinks it)."""
        self.cells = Size(columns, rows)
        """Columns and rows the picture takes."""

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self.cells.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.cells.height

    def render(self) -> RenderableType:
        return HalfCells(self.image, self.cells.width, self.cells.height)
