"""Train pictures: half-cells made once and kept, and the picture tabs redrawn in place after an
epoch (the same widgets, new pictures and guesses) drawing exactly what fresh widgets draw."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from rich.color import Color
from rich.style import Style
from test_train_screen import made_up_views
from train_pilot import quick, screen_of, train_app

from cnn_tui.app.widgets.train.filters import TrainFilters
from cnn_tui.app.widgets.train.picture import TrainPicture
from cnn_tui.app.widgets.train.predictions import PredictionTileView
from cnn_tui.core.training.model_views import ModelViews, PredictionTile


def test_each_cell_is_an_upper_block_coloured_by_its_two_pixels():
    picture = np.array(
        [[[255, 0, 0], [0, 255, 0], [255, 0, 0]], [[0, 0, 255], [9, 9, 9], [0, 0, 255]]],
        dtype=np.uint8,
    )
    lines = TrainPicture(picture, widest=3).lines()
    assert [[(text, style) for text, style, _ in line] for line in lines] == [
        [
            ("\u2580", Style(color=Color.parse("#ff0000"), bgcolor=Color.parse("#0000ff"))),
            ("\u2580", Style(color=Color.parse("#00ff00"), bgcolor=Color.parse("#090909"))),
            ("\u2580", Style(color=Color.parse("#ff0000"), bgcolor=Color.parse("#0000ff"))),
        ]
    ]
    cells = list(lines[0])
    assert cells[0] is cells[2]  # cells of the same two colours: one Segment


def test_a_picture_shown_again_is_drawn_from_the_cells_kept():
    picture = np.arange(75, dtype=np.uint8).reshape(5, 5, 3)
    first = TrainPicture(picture, widest=14).lines()
    again = TrainPicture(picture.copy(), widest=14).lines()
    assert again is first and len(first) == 5 and first[0].cell_length == 10
    assert TrainPicture(picture, widest=5).lines() is not first  # another size: other cells


def next_epoch(views: ModelViews) -> ModelViews:
    """The same test images with other guesses; other filters and maps."""
    tiles = [
        PredictionTile(t.index, t.picture, t.truth, ((t.truth, 0.9), *t.top[1:]))
        for t in views.tiles
    ]
    return replace(
        views,
        tiles=tiles,
        filters=[255 - f for f in views.filters],
        maps=[np.roll(m, 1, axis=1) + 7 for m in views.maps],
    )


async def screenshot(views: list[ModelViews], tab: str) -> tuple[str, list[list[int]]]:
    """What `tab` shows after the views are shown in turn while it is showing (each drawn),
    and the ids of the picture tabs' widgets after each."""
    async with train_app(quick()).run_test(size=(80, 24)) as pilot:
        pilot.app.animation_level = "none"  # the tabs' underline lands at once
        await pilot.pause()
        screen = screen_of(pilot)
        screen.show_form(False)
        screen.tabs.active = tab
        ids = []
        for shown in views:
            screen.show_views(shown)
            await pilot.pause()
            filters = screen.query_one(TrainFilters)
            widgets = [*screen.query(PredictionTileView), *filters.query(TrainPicture)]
            ids.append([id(w) for w in widgets])
        return pilot.app.export_screenshot(), ids


@pytest.mark.parametrize("tab", ["train-tab-predictions", "train-tab-filters"])
async def test_a_tab_after_an_epoch_keeps_its_widgets_and_draws_as_new_ones_would(tab):
    first = made_up_views()
    kept, ids = await screenshot([first, next_epoch(first)], tab)
    fresh, _ = await screenshot([next_epoch(first)], tab)
    assert ids[0] == ids[1] and len(ids[1]) == 12 + 6 + 7  # tiles, filters, image and maps
    assert kept == fresh, "not the same screen"  # (no diff of long SVGs)
