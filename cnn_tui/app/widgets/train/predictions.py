"""TrainPredictions: test images with the network's top-3 guesses, like the lecture's CIFAR-10
demo; a click on one, or the arrows and enter, picks it for the feature maps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import ItemGrid, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from .picture import TrainPicture

if TYPE_CHECKING:
    from ....core.training.model_views import PredictionTile

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

    def __init__(self, tile: PredictionTile, cursor: bool = False) -> None:
        classes = "-correct" if tile.correct else "-wrong"
        super().__init__(classes=f"{classes} -cursor" if cursor else classes)
        self.tile = tile

    def show(self, tile: PredictionTile, cursor: bool) -> None:
        """Show another tile in this place (after an epoch: no widget is made again)."""
        self.tile = tile
        self.set_class(tile.correct, "-correct")
        self.set_class(not tile.correct, "-wrong")
        self.set_class(cursor, "-cursor")
        if self.query_children(TrainPicture):  # else composed later, from the new tile
            self.query_one(TrainPicture).show(tile.picture)
            self.query_one(Static).update(caption(tile))

    def compose(self) -> ComposeResult:
        yield TrainPicture(self.tile.picture, widest=TILE_WIDTH)
        yield Static(caption(self.tile))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(TrainPredictions.ImageChosen(self.tile.index))


class TrainPredictions(VerticalScroll, can_focus=True):
    """A heading (test accuracy of the tiles) and a grid of tiles that wraps to the width; the
    arrows move a cursor over the tiles and enter picks the one under it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1, 0)", "Prev image", show=False),
        Binding("right", "move(1, 0)", "Next image", show=False),
        Binding("up", "move(0, -1)", "Image above", show=False),
        Binding("down", "move(0, 1)", "Image below", show=False),
        Binding("enter", "pick", "Feature maps", tooltip="Show this image's feature maps"),
    ]

    DEFAULT_CSS = """
    TrainPredictions {
        height: 1fr;
        padding: 0 1;
        &:focus PredictionTileView.-cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
        & > #predictions-heading {
            height: auto;
            color: $text-muted;
            margin-bottom: 1;
        }
    }
    """

    @dataclass
    class ImageChosen(Message):
        """A tile was clicked (or picked with enter): show that test image's feature maps."""

        index: int

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.tiles: tuple[PredictionTile, ...] = ()
        """The tiles shown, in order."""
        self.cursor = 0
        """The position (in `tiles`) of the tile the arrows rest on."""

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
        self.cursor = min(self.cursor, max(len(tiles) - 1, 0))
        shown = [view for view in grid.query_children(PredictionTileView) if view.display]
        if len(shown) == len(tiles):  # after an epoch: the same places, new guesses
            for position, (view, tile) in enumerate(zip(shown, tiles, strict=True)):
                view.show(tile, position == self.cursor)
            return
        with self.app.batch_update():
            grid.remove_children()
            grid.mount_all(
                PredictionTileView(tile, position == self.cursor)
                for position, tile in enumerate(tiles)
            )

    @property
    def columns(self) -> int:
        """Tiles per row of the grid at its width now."""
        width = self.query_one("#predictions-grid", ItemGrid).size.width
        return max(1, width // (TILE_WIDTH + 1))

    def action_move(self, across: int, down: int) -> None:
        if not self.tiles:
            return
        moved = self.cursor + across + down * self.columns
        self.cursor = max(0, min(moved, len(self.tiles) - 1))
        self._mark()

    def action_pick(self) -> None:
        if self.tiles:
            self.post_message(self.ImageChosen(self.tiles[self.cursor].index))

    def _mark(self) -> None:
        views = list(self.query_one("#predictions-grid", ItemGrid).query(PredictionTileView))
        for position, view in enumerate(views):
            view.set_class(position == self.cursor, "-cursor")
        if views and self.cursor < len(views):
            self.scroll_to_widget(views[self.cursor], animate=False)
