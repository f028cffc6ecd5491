"""TrainFilters: the first conv layer's filters as pictures, and the feature maps they make of
one test image (its number is typed in, or picked by clicking a prediction)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, ItemGrid, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Static

from .picture import TrainPicture, cells_for

if TYPE_CHECKING:
    import numpy as np

MAP_WIDTH = 12
"""Feature maps are drawn at most this many columns wide (24x24 maps: 12x6 cells)."""

FILTER_WIDTH = 14
"""Filters are drawn at most this wide (5x5 kernels zoom to 10x5 cells, 11x11 stay 11x6)."""


class TrainFilters(VerticalScroll, can_focus=False):
    """Filters on top; below them the chosen image and its feature maps."""

    DEFAULT_CSS = """
    TrainFilters {
        height: 1fr;
        padding: 0 1;
        & .filters-heading {
            height: auto;
            color: $text-muted;
        }
        & ItemGrid {
            margin: 1 0;
        }
        & #maps-row {
            height: 1;
        }
        & #maps-row > Label {
            padding-right: 1;
            text-style: bold;
        }
        & #maps-image {
            width: 8;
            margin-right: 2;
        }
    }
    """

    @dataclass
    class ImageTyped(Message):
        """The student typed a test image number for the feature maps."""

        index: int

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.filter_count = 0
        """How many filters are drawn."""
        self.map_count = 0
        """How many feature maps are drawn."""

    def compose(self) -> ComposeResult:
        yield Static(
            "The first conv layer's filters appear here once a run has started.",
            id="filters-heading",
            classes="filters-heading",
        )
        yield ItemGrid(id="filters-grid")
        with Horizontal(id="maps-row"):
            yield Label("feature maps of test image")
            yield Input(
                "0",
                compact=True,
                select_on_focus=True,
                id="maps-image",
                tooltip="The test image whose feature maps are drawn (or click a prediction)",
            )
            yield Static("", id="maps-note", classes="filters-heading")
        yield ItemGrid(id="maps-grid")

    @property
    def image_index(self) -> int:
        """The test image asked for (0 while the field holds no number)."""
        try:
            return max(0, int(self.query_one("#maps-image", Input).value.strip()))
        except ValueError:
            return 0

    def choose_image(self, index: int) -> None:
        field = self.query_one("#maps-image", Input)
        with self.prevent(Input.Submitted):
            field.value = str(index)

    @on(Input.Submitted, "#maps-image")
    def ask_for_maps(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.ImageTyped(self.image_index))

    def show_filters(self, heading: str, pictures: list[np.ndarray]) -> None:
        self.filter_count = len(pictures)
        self.query_one("#filters-heading", Static).update(heading)
        self._fill("#filters-grid", pictures, FILTER_WIDTH)

    def show_maps(self, note: str, image: np.ndarray | None, maps: list[np.ndarray]) -> None:
        self.map_count = len(maps)
        self.query_one("#maps-note", Static).update(note)
        self._fill("#maps-grid", ([image] if image is not None else []) + maps, MAP_WIDTH)

    def _fill(self, grid_id: str, pictures: list[np.ndarray], widest: int) -> None:
        grid = self.query_one(grid_id, ItemGrid)
        if pictures:
            columns = max(cells_for(p.shape[0], p.shape[1], widest)[0] for p in pictures)
            # every column one wider than the pictures (the gap between them): a stretched column
            # would leave ragged gaps, a squeezed one would clip a picture
            grid.min_column_width = columns + 1
            grid.max_column_width = columns + 1
        shown = [place for place in grid.query_children(TrainPicture) if place.display]
        if len(shown) == len(pictures):  # after an epoch: the same places, new pictures
            for place, picture in zip(shown, pictures, strict=True):
                place.show(picture)
            return
        with self.app.batch_update():
            grid.remove_children()
            grid.mount_all(TrainPicture(picture, widest=widest) for picture in pictures)
