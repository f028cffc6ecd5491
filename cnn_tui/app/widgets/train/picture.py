"""TrainPicture: a small image (a test digit, a filter, a feature map) drawn with half-cells.

Each cell is an upper half block coloured with two pixels (foreground above, background below):
this works in every terminal (over SSH and tmux too), asks the terminal nothing, and draws the
same cells every time, so tests and snapshots see exactly what a student sees. A picture's cells
are made once (with NumPy) and kept, so redrawing it costs next to nothing. NumPy and Pillow are
imported when the first picture is drawn, not with the app.
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
from textual.strip import Strip
from textual.visual import RenderOptions, Visual
from textual.widget import Widget

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image
    from rich.console import Console, ConsoleOptions, RenderResult
    from textual.css.styles import RulesMap
    from textual.style import Style as VisualStyle

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


BLOCK = "\u2580"
"""The upper half block: its colour is the upper pixel, its background the lower one."""

_STYLES: dict[int, Style] = {}
"""Cell styles by colour pair (upper RGB << 24 | lower RGB): pictures share them."""

_DRAWN: dict[tuple[object, ...], tuple[Strip, ...]] = {}
"""The cells of recently drawn pictures, by picture and size (oldest first): the test images of
the Predictions tab come back after every epoch and are drawn from here."""

DRAWN_KEPT = 256
"""How many pictures' cells `_DRAWN` keeps."""


def _style(pair: int) -> Style:
    """The style of a cell whose upper and lower pixels are packed in `pair`."""
    style = _STYLES.get(pair)
    if style is None:
        if len(_STYLES) >= 65_536:
            _STYLES.clear()
        top, bottom = pair >> 24, pair & 0xFFFFFF
        style = _STYLES[pair] = Style.from_color(
            Color.from_triplet(ColorTriplet(top >> 16, (top >> 8) & 255, top & 255)),
            Color.from_triplet(ColorTriplet(bottom >> 16, (bottom >> 8) & 255, bottom & 255)),
        )
    return style


def half_cells(image: Image, columns: int, rows: int) -> tuple[Strip, ...]:
    """The lines of an RGB picture resized to `columns` x 2 `rows` pixels, one upper half block
    per cell; cells of the same two colours share one Segment (and its Style)."""
    import numpy as np

    resized = image.convert("RGB").resize((columns, 2 * rows))
    pixels = np.asarray(resized, dtype=np.uint64).reshape(2 * rows, columns, 3)
    packed = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    pairs = (packed[0::2] << 24) | packed[1::2]
    found, where = np.unique(pairs.ravel(), return_inverse=True)
    cells = [Segment(BLOCK, _style(pair)) for pair in found.tolist()]
    return tuple(
        Strip([cells[at] for at in line], columns) for line in where.reshape(rows, columns).tolist()
    )


class HalfCells(Visual):
    """A picture drawn as lines of half-cells (see `half_cells`), made once and drawn again as
    they are; also a Rich renderable."""

    def __init__(self, lines: tuple[Strip, ...], columns: int) -> None:
        self.lines = lines
        self.columns = columns

    def render_strips(
        self, width: int, height: int | None, style: VisualStyle, options: RenderOptions
    ) -> list[Strip]:
        base = style.rich_style
        lines = self.lines[:height] if height is not None else self.lines
        if width < self.columns:
            lines = tuple(line.crop(0, width) for line in lines)
        return [line.apply_style(base) for line in lines]

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.columns

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self.lines)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines:
            yield from line
            yield Segment.line()

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
        super().__init__(id=id, classes=classes)
        self.set_reactive(Widget.auto_links, False)  # no links in a picture: no pass to find them
        self.widest = widest
        self.picture = picture
        """The picture as given."""
        self.cells = Size(0, 0)
        """Columns and rows the picture takes."""
        self.zoom = 1
        self.key: tuple[object, ...] = ()
        """What its cells are kept under in `_DRAWN`."""
        self._take(picture)

    def _take(self, picture: np.ndarray) -> None:
        columns, rows, self.zoom = cells_for(picture.shape[0], picture.shape[1], self.widest)
        self.picture = picture
        self.cells = Size(columns, rows)
        self.key = (picture.shape, picture.dtype.str, picture.tobytes(), columns, rows)

    def show(self, picture: np.ndarray) -> None:
        """Draw another picture in this place (after an epoch: no widget is made again)."""
        before = self.cells
        self._take(picture)
        self.refresh(layout=self.cells != before)

    def lines(self) -> tuple[Strip, ...]:
        """The picture's lines of half-cells, made the first time this picture is drawn at
        this size (NumPy and Pillow are imported then)."""
        lines = _DRAWN.pop(self.key, None)
        if lines is None:
            import numpy as np
            from PIL import Image as PILImage

            picture = self.picture
            if picture.ndim == 2:
                picture = np.repeat(picture[:, :, None], 3, axis=2)
            if self.zoom > 1:
                picture = picture.repeat(self.zoom, axis=0).repeat(self.zoom, axis=1)
            image = PILImage.fromarray(np.ascontiguousarray(picture, dtype=np.uint8), "RGB")
            lines = half_cells(image, self.cells.width, self.cells.height)
            if len(_DRAWN) >= DRAWN_KEPT:
                del _DRAWN[next(iter(_DRAWN))]
        _DRAWN[self.key] = lines  # the newest last
        return lines

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self.cells.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.cells.height

    def render(self) -> HalfCells:
        return HalfCells(self.lines(), self.cells.width)
