"""The Train screen's first paint leaves the picture tabs empty: they get their widgets when
one is first shown, and views that arrive before are drawn once they are there."""

from __future__ import annotations

from pilot_waits import wait_for
from test_train_screen import made_up_views
from train_pilot import quick, screen_of, train_app

from cnn_tui.app.widgets.train.filters import TrainFilters
from cnn_tui.app.widgets.train.predictions import PredictionTileView


async def test_the_picture_tabs_are_filled_when_first_shown():
    async with train_app(quick()).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        assert not screen.query(TrainFilters) and not screen.query("#train-confusion")
        await pilot.press("escape", "right_square_bracket")
        await wait_for(pilot, lambda: screen.keeper.tabs_built)
        assert screen.query_one(TrainFilters).image_index == 0
        assert screen.query("#train-confusion")


async def test_views_that_arrive_before_the_tabs_are_drawn_once_they_are_there():
    async with train_app(quick()).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        screen.show_views(made_up_views())
        await wait_for(pilot, lambda: len(screen.query(PredictionTileView)) == 12)
        assert screen.query_one(TrainFilters).filter_count == 6
