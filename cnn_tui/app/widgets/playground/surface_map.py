"""SurfaceMap: a loss surface shaded in half-blocks, its minima marked, and each optimizer's path
in its own colour up to the step shown."""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from ....core.optim.paths import Run
from ....core.optim.scene import map_cell, path_cells
from ....core.optim.surfaces import Point, Surface, shade_levels, surface_grid
from ....core.views.train_status import run_colour

SHADES: tuple[str, ...] = (
    "#1c1c1c", "#262626", "#303030", "#3a3a3a", "#444444",
    "#505050", "#5c5c5c", "#6a6a6a", "#787878", "#888888",
)  # fmt: skip
"""Low ground dark, high ground light (a log scale above the lowest point shown); grey, so every
run's colour reads on it."""

MINIMUM = "+"
START = "○"
HERE = "●"
LEFT_VIEW = "✗"


@dataclass(frozen=True)
class Marker:
    """A character drawn over the map: a minimum, the start, where a run is or left the view."""

    cell: tuple[int, int]
    text: str
    colour: str


class SurfaceMap(Widget, can_focus=False):
    """The map fills its space; show() says what to draw."""

    DEFAULT_CSS = """
    SurfaceMap {
        width: 1fr;
        height: 1fr;
        min-height: 4;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.surface: Surface | None = None
        self.start: Point = (0.0, 0.0)
        self.runs: tuple[Run, ...] = ()
        """The paths drawn (empty while they are computed)."""
        self.step = 0
        """Each path is drawn up to this point (a diverged one up to where it stopped)."""
        self._shades: tuple[tuple[int, int, str], object] | None = None
        self._lines: list[list[Segment]] = []
        self.markers: list[Marker] = []
        """The characters drawn over the shading, for tests and the legend."""

    def show(self, where: Surface, start: Point, runs: tuple[Run, ...], step: int) -> None:
        self.surface, self.start, self.runs, self.step = where, start, runs, step
        self._draw()
        self.refresh()

    def on_resize(self) -> None:
        self._draw()

    def _shade_grid(self, columns: int, pixel_rows: int):
        assert self.surface is not None
        key = (columns, pixel_rows, self.surface.name)
        if self._shades is None or self._shades[0] != key:
            grid = surface_grid(self.surface, columns, pixel_rows)
            self._shades = (key, shade_levels(grid.values, len(SHADES)))
        return self._shades[1]

    def _draw(self) -> None:
        columns, rows = self.size
        if self.surface is None or columns < 1 or rows < 1:
            self._lines = []
            return
        window = self.surface.window
        levels = self._shade_grid(columns, rows * 2)
        pixels = [[SHADES[level] for level in row] for row in levels.tolist()]
        for index, run in enumerate(self.runs):
            shown = run.path[: self.step + 1]
            for column, row in path_cells(shown, window, columns, rows * 2):
                pixels[row][column] = run_colour(index)
        self.markers = self._markers(columns, rows)
        over = {m.cell: m for m in self.markers}
        styles: dict[tuple[str, str], Style] = {}
        lines = []
        for row in range(rows):
            line = []
            for column in range(columns):
                top, bottom = pixels[2 * row][column], pixels[2 * row + 1][column]
                marker = over.get((column, row))
                if marker is not None:
                    key = (marker.colour, bottom)
                    style = styles.setdefault(
                        key, Style(color=marker.colour, bgcolor=bottom, bold=True)
                    )
                    line.append(Segment(marker.text, style))
                    continue
                style = styles.setdefault((top, bottom), Style(color=top, bgcolor=bottom))
                line.append(Segment("▀", style))
            lines.append(line)
        self._lines = lines

    def _markers(self, columns: int, rows: int) -> list[Marker]:
        assert self.surface is not None
        window = self.surface.window
        out = []
        for minimum in self.surface.minima:
            cell = map_cell(minimum, window, columns, rows)
            if cell is not None:
                out.append(Marker(cell, MINIMUM, "#ffffff"))
        cell = map_cell(self.start, window, columns, rows)
        if cell is not None:
            out.append(Marker(cell, START, "#ffffff"))
        for index, run in enumerate(self.runs):
            shown = run.path[: self.step + 1]
            colour = run_colour(index)
            here = map_cell(shown[-1], window, columns, rows)
            if here is not None:
                out.append(Marker(here, HERE, colour))
                continue
            inside = [c for p in shown if (c := map_cell(p, window, columns, rows)) is not None]
            if inside:  # where it left the view
                out.append(Marker(inside[-1], LEFT_VIEW, colour))
        return out

    def render_line(self, y: int) -> Strip:
        if 0 <= y < len(self._lines):
            return Strip(self._lines[y])
        return Strip.blank(self.size.width)
