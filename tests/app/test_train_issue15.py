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


async def test_enter_in_a_field_starts_and_keeps_the_focus_there_at_80x24():
    from train_pilot import quick

    config = quick(epochs=2, limit_train=64)
    async with train_app(config).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        epochs = screen.query_one("#train-epochs", Input)
        batch = screen.query_one("#train-batch", Input)
        epochs.focus()
        await pilot.pause()
        enter = screen.active_bindings["enter"]
        assert enter.binding.description == "Start" and enter.enabled
        await pilot.press("3", "0", "0", "0", "enter")  # a run longer than the test
        assert screen.focused is epochs and epochs.value == "3000"
        await wait_for(pilot, lambda: bool(screen.metrics.runs()))
        assert screen.metrics.last("sgd", "start").extra["epochs"] == 3000
        assert screen.form.display  # not folded away under the field being typed in
        await pilot.press("end", "0")  # more digits land in epochs, never in batch or a mode
        assert (epochs.value, batch.value) == ("30000", "32")
        assert screen.focused is epochs and pilot.app.screen is screen
        await wait_for(pilot, lambda: screen.message_text.startswith("training: esc, then p"))
        await pilot.press("escape", "x")
        await wait_for(pilot, lambda: not screen.running)


def test_snapshot_finished_race_at_80x24(snap_compare):
    """A finished sgd/momentum/adam race from a hand-made log at 80x24, settings folded (s):
    the loss plot's top border names the three runs in their colours ('loss ⠒⠒ sgd ⠒⠒
    momentum ⠒⠒ adam'), so no legend box covers a curve; the board below says 'epoch 4/4'
    for each run, and the status line 'done  epoch 4/4'."""
    from test_train_screen import race_log

    from cnn_tui.core.training.train_config import parse_race

    async def fill(pilot) -> None:
        await pilot.pause()
        screen = screen_of(pilot)
        await pilot.press("s")
        screen.metrics = race_log()
        screen.redraw(force=True)
        screen.say_outcome()
        await pilot.pause()

    from train_pilot import quick

    race = quick(optimizers=parse_race("sgd,momentum,adam"), epochs=4)
    assert snap_compare(train_app(race), terminal_size=(80, 24), run_before=fill)


async def test_the_form_s_threads_field_sets_the_run_s_cpu_threads_and_the_status_shows_it():
    from train_pilot import quick, set_field, until_trained

    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        assert screen.query_one("#train-threads", Input).value == "1"
        await set_field(pilot, "threads", "2")
        assert screen.form.config().cpu_threads == 2
        await pilot.press("ctrl+r")
        screen = await until_trained(pilot)
        status = screen.query_one("#train-status", TrainStatus)
        assert "CPU (2 threads)" in status.text
