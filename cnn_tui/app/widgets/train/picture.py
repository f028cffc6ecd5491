"""TrainPicture: a small image (a test digit, a filter, a feature map) drawn with half-cells.

textual-image's half-cell renderer works in every terminal (over SSH and tmux too) and draws
the same cells every time, so tests and snapshots see exactly what a student sees. The package
asks the terminal about its graphics and cell size when first imported, which only works before
Textual takes over the terminal: this module is imported with the app, never later.
"""

from __future__ import annotations

import math

import numpy as np

# imported for its side effect too: it asks the terminal for its cell size once, now, and the
# renderer reads that cached answer later instead of asking while Textual owns the terminal
import textual_image.widget  # noqa: F401
from PIL import Image as PILImage
from rich.console import RenderableType
from textual.geometry import Size
from textual.widget import Widget
from textual_image.renderable import HalfcellImage as HalfcellRenderable

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
        return HalfcellRenderable(self.image, self.cells.width, self.cells.height)
