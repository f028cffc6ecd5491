"""Issue 15 on the Train screen: the epoch the status line and the board say, the builder's
stack named as the builder names it, predictions picked from the keyboard, enter in a field,
the layout at 80x24 and the CPU thread count of a run."""

from __future__ import annotations

from pilot_waits import wait_for
from textual.widgets import Input
from train_pilot import SIZE, long_run, screen_of, train_app

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.builder import BuilderScreen
from cnn_tui.app.widgets.train.board import TrainBoard
from cnn_tui.app.widgets.train.status import TrainStatus

SPEC = "conv(8,3) relu maxpool(2) flatten fc(10)"


async def type_text(pilot, text: str) -> None:
    await pilot.press(*("space" if c == " " else c for c in text))


async def test_mid_run_the_status_and_the_board_say_the_same_epoch():
    async with train_app(long_run(limit_train=64, batch_size=16)).run_test(size=SIZE) as pilot:
        screen = screen_of(pilot)
        await pilot.pause()
        await pilot.press("ctrl+r")
        board = screen.query_one("#train-board", TrainBoard)
        status = screen.query_one("#train-status", TrainStatus)
        # wait for the run to be past its first epochs, on a drawn board
        await wait_for(
            pilot, lambda: board.rows_shown and board.rows_shown[0].epoch >= 3 and status.text
        )
        screen.pause_event.set()  # hold the run still while both are read
        await wait_for(pilot, lambda: status.text.startswith("paused"))
        screen.redraw(force=True)
        row = board.rows_shown[0]
        assert row.cells()["epoch"] == f"{row.epoch}/5000"
        assert f"epoch {row.epoch}/5000" in status.text
        screen.stop_training()
        await wait_for(pilot, lambda: not screen.running)


async def test_the_builder_s_typed_stack_keeps_its_name_in_train():
    app = CnnTuiApp(mode="builder", builder_stack="vgg16")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        builder = pilot.app.screen
        assert isinstance(builder, BuilderScreen)
        builder.query_one("#builder-input", Input).value = "1x28x28"
        spec = builder.query_one("#builder-spec", Input)
        spec.focus()
        spec.value = ""
        await type_text(pilot, SPEC)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(builder.layers) == 5)
        builder.table.focus()
        await pilot.pause()
        title = builder.sub_title  # Train names the stack as the builder does
        await pilot.press("t")
        await wait_for(pilot, lambda: pilot.app.screen is not builder)
        screen = screen_of(pilot)
        await wait_for(pilot, lambda: screen.query_one("#train-model", Input).value == SPEC)
        name = title if title != "untitled" else SPEC
        assert screen.sub_title == f"{name} on digits"
        assert not screen.sub_title.startswith("seed-mnist")
        if title == "untitled":
            assert screen.message_text.startswith("untitled stack from the builder: 5 layers")
        else:
            assert screen.message_text.startswith(f"{title}: 5 layers, input 1x28x28")


async def test_arrows_and_enter_pick_a_prediction_for_the_feature_maps():
    from train_pilot import quick, until_trained

    from cnn_tui.app.widgets.train.filters import TrainFilters
    from cnn_tui.app.widgets.train.predictions import PredictionTileView, TrainPredictions

    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        screen = await until_trained(pilot)
        await pilot.press("right_square_bracket")
        assert screen.tabs.active == "train-tab-predictions"
        predictions = screen.query_one(TrainPredictions)
        await wait_for(pilot, lambda: len(predictions.tiles) == 12)
        await pilot.pause()
        while screen.focused is not predictions:
            await pilot.press("tab")  # the tab bar, then the tiles
        columns = predictions.columns
        assert columns > 1
        await pilot.press("right", "right", "down", "left")
        expected = 1 + columns
        assert predictions.cursor == expected
        views = list(predictions.query(PredictionTileView))
        assert [v.has_class("-cursor") for v in views].index(True) == expected
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.views is not None and screen.views.index == expected)
        assert screen.tabs.active == "train-tab-filters"
        assert screen.query_one(TrainFilters).image_index == expected
        assert screen.views.maps_only
