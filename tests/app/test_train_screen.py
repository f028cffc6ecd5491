"""Pilot tests for the train screen: short CPU runs through the real engine (curves, race,
stop, pause, modes, quitting, errors, views), the form's checks, the builder's hand-over, the
status and board figures from hand-made logs, and snapshots."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pilot_waits import wait_for
from textual.widgets import Checkbox, Input, Select, Static
from train_pilot import (
    SIZE,
    TINY,
    long_run,
    quick,
    screen_of,
    set_field,
    train_app,
    until_trained,
)

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.builder import BuilderScreen
from cnn_tui.app.screens.help import HelpScreen, help_rows
from cnn_tui.app.screens.stepper import StepperScreen
from cnn_tui.app.widgets.train.board import TrainBoard
from cnn_tui.app.widgets.train.confusion import TrainConfusion, matrix_rows
from cnn_tui.app.widgets.train.curves import TrainCurves
from cnn_tui.app.widgets.train.filters import TrainFilters
from cnn_tui.app.widgets.train.form import read_input_shape
from cnn_tui.app.widgets.train.picture import cells_for
from cnn_tui.app.widgets.train.predictions import PredictionTileView, TrainPredictions
from cnn_tui.app.widgets.train.status import TrainStatus
from cnn_tui.core.training.metrics import MetricsLog, Point
from cnn_tui.core.training.model_views import ModelViews, PredictionTile
from cnn_tui.core.training.train_config import OptimizerSettings, parse_race
from cnn_tui.core.views.fields import FieldError
from cnn_tui.core.views.train_status import board_rows, clock, progress, status_line


def kinds(log: MetricsLog, run: str) -> list[str]:
    return [point.kind for point in log.points(run)]


# ---------------------------------------------------------------------------------------------
# a run through the real engine


async def test_a_short_run_draws_its_curves_board_and_status():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        assert screen.query_one("#train-model", Input).value == TINY
        assert screen.query_one("#train-input", Input).value == "1x8x8"
        assert "no run yet" in screen.query_one(TrainStatus).text
        await pilot.press("ctrl+r")
        screen = await until_trained(pilot)
        assert kinds(screen.metrics, "sgd")[0] == "start"
        assert kinds(screen.metrics, "sgd")[-1] == "done"
        curves = screen.query_one(TrainCurves)
        steps, losses = curves.drawn["loss/sgd/train"]
        assert steps and steps[-1] == 8  # 256 images in batches of 32
        assert all(math.isfinite(loss) and loss > 0 for loss in losses)
        test_steps, accuracies = curves.drawn["accuracy/sgd/test"]
        assert test_steps == [8.0]
        assert 0 <= accuracies[0] <= 1
        (row,) = screen.query_one(TrainBoard).rows_shown
        assert row.run == "sgd" and row.status == "done" and row.epoch == 1
        assert row.test_accuracy == pytest.approx(accuracies[0])
        status = screen.query_one(TrainStatus).text
        assert status.startswith("done  epoch 1/1  step 8/8")
        assert "CPU" in status
        assert screen.message_text.startswith("done in ")
        assert f"test accuracy sgd {accuracies[0]:.1%}" in screen.message_text
        assert screen.result is not None and screen.result.runs[0].status == "done"


async def test_a_race_shows_every_optimizer_in_plots_legend_and_board():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await set_field(pilot, "race", "sgd,momentum,adam")
        await pilot.press("ctrl+r")
        screen = await until_trained(pilot)
        board = screen.query_one(TrainBoard)
        assert sorted(row.run for row in board.rows_shown) == ["adam", "momentum", "sgd"]
        assert all(row.status == "done" for row in board.rows_shown)
        accuracies = [row.test_accuracy for row in board.rows_shown]
        assert accuracies == sorted(accuracies, reverse=True)  # best first
        assert len({row.colour for row in board.rows_shown}) == 3
        curves = screen.query_one(TrainCurves)
        for run in ("sgd", "momentum", "adam"):
            assert curves.drawn[f"loss/{run}/train"][0], run
            assert curves.drawn[f"accuracy/{run}/test"][0] == [8.0], run
        assert curves.legend_shown
        for run in ("sgd", "momentum", "adam"):
            assert f"{run} " in screen.message_text


async def test_stop_ends_the_run_within_a_batch_and_keeps_what_it_learned():
    async with train_app(long_run()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        screen = screen_of(pilot)
        await wait_for(pilot, lambda: bool(screen.metrics.points("sgd", "train")))
        assert screen.running
        await pilot.press("x")
        screen = await until_trained(pilot)
        assert kinds(screen.metrics, "sgd")[-1] == "stopped"
        assert screen.query_one(TrainBoard).rows_shown[0].status == "stopped"
        assert screen.query_one(TrainStatus).text.startswith("stopped  epoch ")
        assert screen.message_text.startswith("stopped at step ")
        assert screen.result is not None and screen.result.runs[0].model is not None


async def test_pause_holds_the_run_and_resume_lets_it_go_on(watched_pause):
    async with train_app(long_run()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        pause = screen.pause_event = watched_pause
        await pilot.press("ctrl+r")
        # and the screen has drawn the start (its 'training: ...' line would cover 'paused')
        await wait_for(
            pilot, lambda: bool(screen.metrics.points("sgd", "train")) and not screen.starting
        )
        await pilot.press("p")
        assert screen.pause_event.is_set()
        assert screen.message_text.startswith("paused")
        await wait_for(pilot, lambda: pause.engine_looks >= 1)  # the engine has stopped to wait
        held = screen.metrics.version
        await wait_for(pilot, lambda: pause.engine_looks >= 4)  # and gone round its wait 3 times
        assert screen.metrics.version == held
        assert screen.query_one(TrainStatus).text.startswith("paused  ")
        assert screen.query_one(TrainBoard).rows_shown[0].status == "paused"
        await pilot.press("p")
        assert not screen.pause_event.is_set()
        await wait_for(pilot, lambda: screen.metrics.version > held)
        await pilot.press("x")
        await until_trained(pilot)


async def test_stop_while_paused_still_stops():
    async with train_app(long_run()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        screen = screen_of(pilot)
        await wait_for(pilot, lambda: bool(screen.metrics.points("sgd", "train")))
        await pilot.press("p", "x")
        screen = await until_trained(pilot)
        assert kinds(screen.metrics, "sgd")[-1] == "stopped"


async def test_switching_modes_keeps_the_run_going_and_drawing_waits():
    async with train_app(long_run()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        train = screen_of(pilot)
        await wait_for(pilot, lambda: bool(train.metrics.points("sgd", "train")))
        await pilot.press("2")
        assert isinstance(pilot.app.screen, StepperScreen)
        drawn = train.drawn[0]
        seen = train.metrics.version
        await wait_for(pilot, lambda: train.metrics.version > seen + 3)
        assert train.running  # the worker trains on behind the stepper
        assert train.drawn[0] == drawn  # ... while its plots wait
        await pilot.press("4")
        assert pilot.app.screen is train
        await pilot.pause()
        assert train.drawn[0] > seen
        assert len(train.query_one(TrainCurves).drawn["loss/sgd/train"][0]) > 1
        await pilot.press("x")
        await until_trained(pilot)


async def test_quitting_stops_a_paused_run_cleanly(point_arrivals):
    app = train_app(long_run())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        screen = screen_of(pilot)
        await wait_for(pilot, lambda: bool(screen.metrics.points("sgd", "train")))
        await pilot.press("p")
        log = screen.metrics
        await pilot.press("q")
    # the engine, woken from its pause by the stop, logs `stopped` within a batch
    assert point_arrivals.wait(lambda: kinds(log, "sgd")[-1] == "stopped")


# ---------------------------------------------------------------------------------------------
# errors


async def test_a_bad_model_is_named_in_one_red_line_before_anything_loads():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await set_field(pilot, "model", "conv(4,3) relu fc(")
        await pilot.press("ctrl+r")
        screen = screen_of(pilot)
        assert screen.message_text.startswith("model: ")
        assert screen.note[1] == "error"
        assert screen.query_one("#train-message").has_class("-error")
        assert screen.worker is None
        await set_field(pilot, "model", "conv(4,5) flatten fc(10)")
        await set_field(pilot, "input", "1x3x3")
        await pilot.press("ctrl+r")
        assert screen.message_text.startswith("model: layer 1 conv(4,5)")
        assert screen.worker is None


async def test_an_engine_refusal_shows_its_message_and_leaves_the_form_as_it_was():
    async with train_app(quick(model="conv(4,3) relu flatten fc(7)")).run_test(
        size=(80, 24)
    ) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        screen = await until_trained(pilot)
        assert screen.message_text.startswith("the stack ends in 7 values but")
        assert screen.note[1] == "error"
        assert screen.form.display  # folded while starting on a short screen, shown again
        assert screen.query_one("#train-model", Input).value == "conv(4,3) relu flatten fc(7)"
        assert screen.query_one("#train-input", Input).value == "1x8x8"


async def test_a_missing_dataset_says_where_to_put_it(tmp_path):
    config = quick(model="seed-mnist", input_shape=None, dataset="mnist", data_dir=str(tmp_path))
    async with train_app(config).run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not screen_of(pilot).query_one("#train-download", Checkbox).value
        await pilot.press("ctrl+r")
        screen = await until_trained(pilot)
        assert screen.message_text.startswith(f"MNIST is not in {tmp_path}")
        assert screen.note[1] == "error"


async def test_a_nan_loss_ends_the_run_with_the_engines_reason():
    config = quick(optimizers=(OptimizerSettings("sgd", lr=1e12),))
    async with train_app(config).run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert screen_of(pilot).query_one("#train-lr", Input).value == "1e+12"
        await pilot.press("ctrl+r")
        screen = await until_trained(pilot)
        assert screen.message_text.startswith("sgd: error: loss became NaN at step ")
        assert screen.note[1] == "error"
        (row,) = screen.query_one(TrainBoard).rows_shown
        assert row.status.startswith("error: loss became NaN")


# ---------------------------------------------------------------------------------------------
# what the network learned


async def test_views_show_predictions_confusion_filters_and_maps_of_a_trained_net():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        screen = await until_trained(pilot)
        await pilot.press("right_square_bracket")
        assert screen.tabs.active == "train-tab-predictions"
        await wait_for(pilot, lambda: screen.views is not None)
        await pilot.pause()
        views = screen.views
        assert views is not None and views.run == "sgd"
        predictions = screen.query_one(TrainPredictions)
        assert len(predictions.tiles) == 12
        assert [tile.index for tile in predictions.tiles] == list(range(12))
        for tile in predictions.tiles:
            assert tile.picture.dtype == np.uint8 and tile.picture.shape == (8, 8, 3)
            assert len(tile.top) == 3
            assert sum(p for _, p in tile.top) <= 1.0 + 1e-6
            assert tile.truth in tuple("0123456789")
        confusion = screen.query_one(TrainConfusion)
        assert confusion.matrix is not None
        assert int(confusion.matrix.sum()) == 360  # the digits test set
        board_accuracy = screen.query_one(TrainBoard).rows_shown[0].test_accuracy
        assert np.trace(confusion.matrix) / 360 == pytest.approx(board_accuracy)
        filters = screen.query_one(TrainFilters)
        assert filters.filter_count == 4  # conv(4,3)
        assert filters.map_count == 4
        assert views.filter_shape == (4, 1, 3, 3)
        assert views.map_shape == (4, 6, 6)
        tiles = list(screen.query(PredictionTileView))
        await pilot.click(tiles[5])
        await wait_for(pilot, lambda: screen.views is not None and screen.views.index == 5)
        assert screen.tabs.active == "train-tab-filters"
        assert filters.image_index == 5
        assert screen.views.maps_only and screen.views.truth == predictions.tiles[5].truth


async def test_a_typed_image_number_redraws_only_its_maps_and_a_wrong_one_is_named():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        screen = await until_trained(pilot)
        await pilot.press("left_square_bracket")
        assert screen.tabs.active == "train-tab-filters"
        await wait_for(pilot, lambda: screen.views is not None)
        assert screen.views.index == 0 and not screen.views.maps_only
        field = screen.query_one("#maps-image", Input)
        field.focus()
        await pilot.press("ctrl+u", "7", "enter")
        await wait_for(pilot, lambda: screen.views.index == 7)
        assert screen.views.maps_only
        digits = screen.live.data
        assert screen.views.truth == str(int(digits.test_y[7]))
        assert screen.query_one(TrainConfusion).row_count == 10
        await pilot.press("ctrl+u", "9", "9", "9", "enter")
        await wait_for(pilot, lambda: screen.message_text.startswith("views: "))
        assert screen.message_text == "views: test image: pick 0 to 359, not 999"
        assert screen.views.index == 7  # the last maps that worked stay


async def test_the_board_row_picks_whose_network_the_views_show():
    async with train_app(quick(optimizers=parse_race("sgd,adam"))).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        screen = await until_trained(pilot)
        board = screen.query_one(TrainBoard)
        first, second = (row.run for row in board.rows_shown)
        assert screen.view_run() == first
        board.focus()
        await pilot.press("down")
        assert screen.view_run() == second
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: screen.views is not None)
        assert screen.views.run == second
        heading = str(screen.query_one("#confusion-heading", Static).render())
        assert heading.startswith(f"{second}: ") and " of 360 test images right " in heading
        await pilot.press("left_square_bracket")
        board.focus()
        await pilot.press("up", "right_square_bracket")
        await wait_for(pilot, lambda: screen.views.run == first)


async def test_views_before_any_run_say_what_to_do():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("v")
        assert screen_of(pilot).message_text.startswith("no network to look at yet")


# ---------------------------------------------------------------------------------------------
# the form


async def test_the_form_reads_every_field_into_the_config():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        screen.query_one("#train-dataset", Select).value = "fashion-mnist"
        screen.query_one("#train-optimizer", Select).value = "momentum"
        screen.query_one("#train-device", Select).value = "cpu"
        screen.query_one("#train-download", Checkbox).value = True
        await pilot.pause()
        assert screen.query_one("#train-lr", Input).placeholder == "0.01"
        assert screen.query_one("#train-momentum", Input).placeholder == "0.9"
        await set_field(pilot, "lr", "0.05")
        await set_field(pilot, "momentum", "0.8")
        await set_field(pilot, "decay", "0.0005")
        await set_field(pilot, "batch", "64")
        await set_field(pilot, "epochs", "3")
        config = screen.form.config()
        assert config.dataset == "fashion-mnist" and config.download
        assert config.optimizers == (
            OptimizerSettings("momentum", lr=0.05, momentum=0.8, weight_decay=0.0005),
        )
        assert (config.batch_size, config.epochs, config.device) == (64, 3, "cpu")
        assert config.limit_train == 256  # kept from the settings the screen opened with
        await set_field(pilot, "race", "sgd:0.1, adam")
        config = screen.form.config()
        assert [o.title for o in config.race_settings()] == ["sgd", "adam"]
        assert config.optimizers[0].learning_rate == 0.1
        assert config.optimizers[1].learning_rate == 0.05  # the lr field, for those without


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("batch", "0", "batch: must be at least 1, got 0"),
        ("epochs", "ten", "epochs: expected a whole number, got 'ten'"),
        ("lr", "-1", "lr: must be"),
        ("momentum", "1", "mom: must be from 0 up to (not including) 1, got 1"),
        ("decay", "x", "wd: expected a number, got 'x'"),
        ("race", "sgd,adam,rmsprop,adagrad,momentum,nesterov", "race: a race takes at most 5"),
        ("race", "sgd,lion", "race: optimizer 'lion' is not one of"),
        ("input", "28x28", "input: input shape '28x28' must be CxHxW"),
        ("input", "784", "input: images need CxHxW"),
        ("model", "", "model: type a preset name, layers or a .json file"),
        ("model", "nosuchnet", "model: "),
    ],
)
async def test_a_bad_field_is_named(field, value, message):
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await set_field(pilot, field, value)
        with pytest.raises(FieldError) as caught:
            screen_of(pilot).form.config()
        assert str(caught.value).startswith(message)
        await pilot.press("escape", "ctrl+r")
        assert screen_of(pilot).message_text.startswith(message)


async def test_picking_a_preset_fills_the_model_field_and_typing_follows():
    async with train_app().run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        preset = screen.query_one("#train-preset", Select)
        assert preset.value == "seed-mnist"
        preset.value = "lenet5"
        await pilot.pause()
        assert screen.query_one("#train-model", Input).value == "lenet5"
        await set_field(pilot, "model", TINY)
        assert preset.value == "typed"


async def test_enter_in_a_field_starts_and_keys_go_to_fields_while_typing():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        screen.query_one("#train-epochs", Input).focus()
        await pilot.press("p", "x", "s")  # letters belong to the field
        assert screen.query_one("#train-epochs", Input).value == "pxs"
        assert screen.form.display and not screen.running
        await pilot.press("backspace", "backspace", "backspace", "1", "enter")
        assert screen.focused is screen.query_one("#train-epochs", Input)  # issue 15: kept
        screen = await until_trained(pilot)
        assert kinds(screen.metrics, "sgd")[-1] == "done"


async def test_s_folds_the_settings_and_brackets_switch_tabs():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        await pilot.press("s")
        assert not screen.form.display
        await pilot.press("s")
        assert screen.form.display
        await pilot.press("left_square_bracket")
        assert screen.tabs.active == "train-tab-filters"
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert screen.tabs.active == "train-tab-predictions"


async def test_the_cli_model_wins_over_the_configs():
    async with train_app(quick(), model="lenet5").run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        assert screen.query_one("#train-model", Input).value == "lenet5"
        assert screen.query_one("#train-input", Input).value == ""
        assert screen.form.config().model == "lenet5"


async def test_the_builder_hands_its_stack_over_with_t():
    app = CnnTuiApp(mode="builder", builder_stack=TINY)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        builder = pilot.app.screen
        assert isinstance(builder, BuilderScreen)
        builder.query_one("#builder-input", Input).value = "1x12x12"
        await pilot.pause()
        builder.table.focus()
        await pilot.press("t")
        await pilot.pause()
        screen = screen_of(pilot)
        assert screen.query_one("#train-model", Input).value == TINY
        assert screen.query_one("#train-input", Input).value == "1x12x12"
        assert screen.query_one("#train-preset", Select).value == "typed"
        assert "5 layers, input 1x12x12" in screen.message_text
        config = screen.form.config()
        assert (config.model, config.input_shape) == (TINY, (1, 12, 12))


async def test_the_builder_will_not_hand_over_a_stack_that_does_not_fit():
    app = CnnTuiApp(mode="builder", builder_stack="conv(4,5) conv(4,5) flatten fc(10)")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        builder = pilot.app.screen
        builder.query_one("#builder-input", Input).value = "1x6x6"
        await pilot.pause()
        builder.table.focus()
        await pilot.press("t")
        await pilot.pause()
        assert pilot.app.screen is builder
        assert builder.message_text.startswith("fix the failing layer first")


async def test_help_lists_the_train_keys():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        rows = {action: str(keys) for keys, action, _ in help_rows(pilot.app.screen)}
        assert rows["Start"] == "^r"
        assert rows["Settings"] == "s"
        assert rows["Views"] == "v"
        assert rows["Train"] == "4 / f4"
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)
        assert str(pilot.app.screen.query_one("#help-title").render()) == "Keys: Train"


# ---------------------------------------------------------------------------------------------
# figures from hand-made logs


def race_log(runs: tuple[str, ...] = ("sgd", "momentum", "adam"), steps: int = 200) -> MetricsLog:
    """A finished three-optimizer race on a made-up GPU: smooth, different, exact curves."""
    log = MetricsLog()
    per_epoch = 50
    for run in runs:
        extra = {
            "device": "cuda",
            "device_name": "NVIDIA H100 80GB HBM3",
            "steps_per_epoch": per_epoch,
            "total_steps": steps,
            "epochs": steps // per_epoch,
        }
        log.append(Point(run, "start", extra=extra))
    for step in range(5, steps + 1, 5):
        for index, run in enumerate(runs):
            loss = 0.08 + 2.2 * math.exp(-step / (15 + 25 * index))
            log.append(
                Point(
                    run,
                    "train",
                    epoch=(step - 1) // per_epoch,
                    step=step,
                    loss=loss,
                    accuracy=1 - loss / 2.4,
                    images_per_second=40_000.0 - 5_000 * index,
                    elapsed=step * 0.02,
                    memory_bytes=300 * 2**20,
                )
            )
            if step % per_epoch == 0:
                epoch = step // per_epoch - 1
                log.append(Point(run, "epoch", epoch=epoch, step=step, images_per_second=39_000.0))
                log.append(
                    Point(
                        run, "test", epoch=epoch, step=step, loss=loss * 1.2, accuracy=1 - loss / 2
                    )
                )
    for run in runs:
        log.append(Point(run, "done", step=steps, elapsed=steps * 0.02))
    return log


def test_status_line_of_a_run_in_progress():
    log = MetricsLog()
    extra = {"device_name": "CPU (2 threads)", "steps_per_epoch": 45, "total_steps": 450}
    log.append(Point("adam", "start", extra=extra))
    log.append(Point("adam", "train", epoch=2, step=100, images_per_second=850.0, elapsed=20.0))
    assert status_line(log) == (
        "training  epoch 3/10  step 100/450  850 img/s  ETA 1:10  CPU (2 threads)"
    )
    assert status_line(log, paused=True).startswith("paused  epoch 3/10")
    assert progress(log).eta_seconds == pytest.approx(70.0)
    assert status_line(MetricsLog()) == ""


def test_status_line_of_a_finished_race():
    assert status_line(race_log()) == (
        "done  epoch 4/4  step 200/200  took 0:04  NVIDIA H100 80GB HBM3  mem 300 MiB"
    )


def test_status_line_says_when_the_runs_replay_a_cuda_graph():
    log = MetricsLog()
    extra = {"device_name": "NVIDIA H200", "total_steps": 90, "cuda_graph": True}
    log.append(Point("sgd", "start", extra=extra))
    log.append(Point("sgd", "train", epoch=0, step=9, elapsed=0.1))
    assert status_line(log).endswith("  NVIDIA H200 (CUDA graph)")
    log.append(Point("adagrad", "start", extra={**extra, "cuda_graph": False}))
    assert status_line(log).endswith("  NVIDIA H200")


def test_clock():
    assert [clock(s) for s in (0, 59.6, 75, 3725)] == ["0:00", "1:00", "1:15", "1:02:05"]


def test_board_ranks_by_test_accuracy_and_names_errors():
    log = race_log()
    rows = board_rows(log)
    assert [row.run for row in rows] == ["sgd", "momentum", "adam"]  # sgd's loss falls fastest
    assert rows[0].cells()["test acc"] == f"{log.last(rows[0].run, 'test').accuracy:.1%}"
    assert {row.epoch for row in rows} == {4}
    log.append(Point("rmsprop", "start"))
    log.append(Point("rmsprop", "error", step=3, message="loss became NaN at step 3"))
    last = board_rows(log)[-1]
    assert (last.run, last.status) == ("rmsprop", "error: loss became NaN at step 3")
    assert last.cells()["test acc"] == "—"


async def test_a_hand_made_error_point_reaches_the_message_line():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        screen.metrics = race_log(runs=("sgd",))
        screen.metrics.append(Point("adam", "error", step=7, message="CUDA out of memory"))
        screen.redraw(force=True)
        assert screen.message_text == "adam: CUDA out of memory"
        assert screen.note[1] == "error"


def test_confusion_rows_count_and_recall():
    matrix = np.array([[3, 1, 0], [0, 4, 0], [2, 0, 0]])
    rows = matrix_rows(matrix, ("cat", "dog", "owl"))
    assert rows == [
        ["cat", "3", "1", "·", "75%"],
        ["dog", "·", "4", "·", "100%"],
        ["owl", "2", "·", "·", "0%"],
    ]


def test_picture_sizes_zoom_small_and_shrink_large():
    assert cells_for(5, 5, 14) == (10, 5, 2)  # a 5x5 filter: 2x2 blocks per weight
    assert cells_for(3, 3, 14) == (12, 6, 4)
    assert cells_for(11, 11, 14) == (11, 6, 1)  # AlexNet's filters, pixel for pixel
    assert cells_for(8, 8, 16) == (16, 8, 2)  # a digit, doubled
    assert cells_for(28, 28, 16) == (16, 8, 1)  # MNIST shrunk to 16 columns
    assert cells_for(32, 32, 16) == (16, 8, 1)
    assert cells_for(24, 24, 12) == (12, 6, 1)


def test_input_shape_field():
    assert read_input_shape(" ") is None
    assert read_input_shape("3x32x32") == (3, 32, 32)
    with pytest.raises(FieldError, match="images need CxHxW"):
        read_input_shape("784")


# ---------------------------------------------------------------------------------------------
# snapshots


def made_up_views() -> ModelViews:
    """Views of a made-up digit reader: 12 striped 8x8 images (every third one misread), a
    confusion matrix, six 5x5 filters and six 4x4 maps; exact, so the snapshot is too."""
    labels = tuple("0123456789")
    ramp = np.linspace(0, 255, 8, dtype=np.uint8)
    tiles = []
    for index in range(12):
        grey = np.roll(np.add.outer(ramp, ramp[::-1]) // 2, index, axis=1).astype(np.uint8)
        picture = np.repeat(grey[:, :, None], 3, axis=2)
        truth = labels[index % 10]
        guess = labels[(index + 1) % 10] if index % 3 == 2 else truth
        second = labels[(index + 2) % 10]
        tiles.append(
            PredictionTile(index, picture, truth, ((guess, 0.81), (second, 0.12), ("7", 0.03)))
        )
    matrix = np.diag(np.full(10, 30)) + np.eye(10, k=1, dtype=int) * 3
    filters = []
    for f in range(6):
        weights = np.arange(25, dtype=float).reshape(5, 5)
        grey = (np.rot90(weights, f % 4) * 10).astype(np.uint8)
        filters.append(np.repeat(grey[:, :, None], 3, axis=2))
    maps = [np.full((4, 4, 3), 40 * m, dtype=np.uint8) for m in range(6)]
    return ModelViews(
        run="adam",
        labels=labels,
        index=0,
        test_size=360,
        matrix=matrix,
        tiles=tiles,
        filters=filters,
        filter_shape=(6, 1, 5, 5),
        image=tiles[0].picture,
        truth="0",
        maps=maps,
        map_shape=(6, 4, 4),
    )


def test_snapshot_before_a_run_at_80x24(snap_compare):
    """The train screen at 80x24 before any run: the form (model seed-mnist, input 'its own',
    Start; the spec field 'seed-mnist' on a full-width line of its own; data digits, optimizer
    sgd, lr placeholder 0.01, mom 0, wd 0; race placeholder,
    batch 32, epochs 10, device auto, download unticked; β placeholder 0.9,0.999, sched
    constant, aug placeholder, ema placeholder off, seed 0), the hint line, 'no run yet' in the
    status bar, the four tabs with Curves active, empty loss and accuracy plots with 0-1 axes,
    and the footer with ^r Start, p Pause and x Stop dimmed."""
    assert snap_compare(train_app(), terminal_size=(80, 24))


def test_snapshot_finished_race_at_120x40(snap_compare):
    """A finished sgd/momentum/adam race drawn from a hand-made log at 120x40: three coloured
    falling loss curves (blue sgd fastest) with test markers, the legend naming the three runs
    in the loss plot's top border (over no curve), rising accuracy curves, 'step ● test set'
    under both plots; the board
    ranks sgd, momentum, adam by test accuracy, all 'done' in epoch 4/4; the status bar says
    'done  epoch 4/4  step 200/200  took 0:04  NVIDIA H100 80GB HBM3  mem 300 MiB' and the
    message line gives the three test accuracies."""

    async def fill(pilot) -> None:
        await pilot.pause()
        screen = screen_of(pilot)
        screen.metrics = race_log()
        screen.redraw(force=True)
        screen.say_outcome()
        await pilot.pause()

    race = quick(optimizers=parse_race("sgd,momentum,adam"), epochs=4)
    assert snap_compare(train_app(race), terminal_size=(120, 40), run_before=fill)


def test_snapshot_predictions_at_120x40(snap_compare):
    """The Predictions tab with made-up views at 120x40: a heading ('adam: 8 of these 12 test
    images right ...') and a grid of twelve striped pictures, six per row, each with '#i d'
    over three guesses with percentages, the first green when right and red when wrong
    (tiles 2, 5, 8 and 11)."""

    async def fill(pilot) -> None:
        await pilot.pause()
        screen = screen_of(pilot)
        screen.show_views(made_up_views())
        screen.tabs.active = "train-tab-predictions"
        await pilot.pause()

    assert snap_compare(train_app(quick()), terminal_size=(120, 40), run_before=fill)


def test_snapshot_filters_and_maps_at_80x24(snap_compare):
    """The Filters tab with made-up views at 80x24, settings folded: 'adam: the first conv
    layer's 6 filters, 1x5x5 each (grey 0, bright positive, dark negative)' over six 10x5-cell
    gradient pictures turned a quarter each time; 'feature maps of test image [0]' with '(a 0),
    then its 6 maps, 4x4' and the 8x4-cell striped image followed by flat 12x6-cell squares
    from black to light grey, four beside the image and the last two starting below, cut off
    by the footer (the tab scrolls)."""

    async def fill(pilot) -> None:
        await pilot.pause()
        screen = screen_of(pilot)
        screen.show_form(False)
        screen.show_views(made_up_views())
        screen.tabs.active = "train-tab-filters"
        await pilot.pause()

    assert snap_compare(train_app(quick()), terminal_size=(80, 24), run_before=fill)


async def test_a_race_from_the_command_line_keeps_each_rate_and_the_betas():
    race = (
        OptimizerSettings("sgd", lr=0.1),
        OptimizerSettings("adam", lr=0.001, betas=(0.8, 0.99)),
    )
    async with train_app(quick(optimizers=race)).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        assert screen.query_one("#train-race", Input).value == "sgd:0.1,adam:0.001"
        assert screen.query_one("#train-lr", Input).value == ""
        chosen = screen.form.config().optimizers
        assert [(o.name, o.lr) for o in chosen] == [("sgd", 0.1), ("adam", 0.001)]
    single = (OptimizerSettings("adam", lr=0.01, betas=(0.8, 0.99)),)
    async with train_app(quick(optimizers=single)).run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert screen_of(pilot).form.config().optimizers[0].betas == (0.8, 0.99)
