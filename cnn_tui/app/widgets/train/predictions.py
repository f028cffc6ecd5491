"""TrainPredictions: test images with the network's top-3 guesses, like the lecture's CIFAR-10
demo; a click on one picks it for the feature maps."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.containers import ItemGrid, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from ....core.training.model_views import PredictionTile
from .picture import TrainPicture

TILE_WIDTH = 16
"""Columns per tile: the picture and 'airplane  91%' fit."""


def caption(tile: PredictionTile) -> Content:
    """'#3 cat' in bold over the top guesses and their probabilities: the first green when it
    is right, red when wrong; the true class among the others in the text colour."""
    lines = [Content.styled(f"#{tile.index} {tile.truth}"[:TILE_WIDTH], "bold")]
    for rank, (name, probability) in enumerate(tile.top):
        text = f"{name[: TILE_WIDTH - 6]:<{TILE_WIDTH - 6}}{probability:>5.0%}"
        if rank == 0:
            style = "$text-success" if tile.correct else "$text-error"
        else:
            style = "$text" if name == tile.truth else "$text-muted"
        lines.append(Content.styled(text, style))
    return Content("\n").join(lines)


class PredictionTileView(Vertical):
    """A picture over its caption; clicking it asks for its feature maps."""

    DEFAULT_CSS = """
    PredictionTileView {
        width: 16;
        height: auto;
        padding-bottom: 1;
        &:hover {
            background: $boost;
        }
        & > Static {
            width: 16;
            height: auto;
        }
    }
    """

    def __init__(self, tile: PredictionTile) -> None:
        super().__init__(classes="-correct" if tile.correct else "-wrong")
        self.tile = tile

    def compose(self) -> ComposeResult:
        yield TrainPicture(self.tile.picture, widest=TILE_WIDTH)
        yield Static(caption(self.tile))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(TrainPredictions.ImageChosen(self.tile.index))


class TrainPredictions(VerticalScroll, can_focus=False):
    """A heading (test accuracy of the tiles) and a grid of tiles that wraps to the width."""

    DEFAULT_CSS = """
    TrainPredictions {
        height: 1fr;
        padding: 0 1;
        & > #predictions-heading {
            height: auto;
            color: $text-muted;
            margin-bottom: 1;
        }
    }
    """

    @dataclass
    class ImageChosen(Message):
        """A tile was clicked: show that test image's feature maps."""

        index: int

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.tiles: tuple[PredictionTile, ...] = ()
        """The tiles shown, in order."""

    def compose(self) -> ComposeResult:
        yield Static(
            "Predictions on test images appear here once a run has started (v refreshes them).",
            id="predictions-heading",
        )
        yield ItemGrid(
            min_column_width=TILE_WIDTH + 1, max_column_width=TILE_WIDTH + 1, id="predictions-grid"
        )

    def show(self, heading: str, tiles: list[PredictionTile]) -> None:
        self.tiles = tuple(tiles)
        self.query_one("#predictions-heading", Static).update(heading)
        grid = self.query_one("#predictions-grid", ItemGrid)
        with self.app.batch_update():
            grid.remove_children()
            grid.mount_all(PredictionTileView(tile) for tile in tiles)
