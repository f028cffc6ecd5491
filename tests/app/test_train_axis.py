"""Pilot tests for the curves' x axis on the train screen: e switches between steps and epochs
before, during and after a short CPU run and in a race; the plots' border, x data and tick
labels follow, and the choice holds from run to run."""

from __future__ import annotations

from pilot_waits import wait_for
from textual.widgets import Input
from train_pilot import SIZE, long_run, quick, screen_of, train_app, until_trained

from cnn_tui.app.screens.help import help_rows
from cnn_tui.app.widgets.train.curves import (
    TEST_MARKER,
    EpochAxisFormatter,
    TrainCurves,
    TrainPlot,
)
from cnn_tui.core.training.metrics import MetricsLog, Point

PER_EPOCH = 8
"""Steps in an epoch of the tests' runs: 256 digits in batches of 32."""


def plots(pilot) -> tuple[TrainPlot, TrainPlot]:
    screen = screen_of(pilot)
    return (
        screen.query_one("#train-loss-plot", TrainPlot),
        screen.query_one("#train-accuracy-plot", TrainPlot),
    )


def subtitles(pilot) -> list[str]:
    return [str(plot.border_subtitle) for plot in plots(pilot)]


def x_tick_labels(plot: TrainPlot) -> list[str]:
    """The labels written under the plot's x axis, left to right."""
    return plot.query_one("#margin-bottom").render_line(0).text.split()


def plotted_xs(plot: TrainPlot) -> list[float]:
    """Every x the plot holds now (its line and marker data sets)."""
    return [float(x) for dataset in plot._datasets for x in dataset.x]


def epoch_log() -> MetricsLog:
    """One finished two-epoch run of 8 steps an epoch, made by hand."""
    log = MetricsLog()
    extra = {"steps_per_epoch": PER_EPOCH, "total_steps": 2 * PER_EPOCH, "epochs": 2}
    log.append(Point("sgd", "start", extra=extra))
    for step in range(2, 2 * PER_EPOCH + 1, 2):
        epoch = (step - 1) // PER_EPOCH
        log.append(Point("sgd", "train", epoch=epoch, step=step, loss=2 / step, accuracy=0.6))
        if step % PER_EPOCH == 0:
            log.append(Point("sgd", "test", epoch=epoch, step=step, loss=1 / step, accuracy=0.8))
    log.append(Point("sgd", "done", epoch=2, step=2 * PER_EPOCH))
    return log


async def test_e_switches_a_drawn_log_between_steps_and_epochs():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        assert screen.axis == "step"
        assert all(subtitle.startswith("step ") for subtitle in subtitles(pilot))
        screen.metrics = epoch_log()
        screen.redraw(force=True)
        await pilot.pause()
        curves = screen.query_one(TrainCurves)
        assert curves.drawn["loss/sgd/train"][0] == [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0]
        assert curves.drawn["accuracy/sgd/test"][0] == [8.0, 16.0]
        loss_plot, accuracy_plot = plots(pilot)
        assert max(plotted_xs(loss_plot)) == 16.0
        assert x_tick_labels(loss_plot)[-1] == "16"

        await pilot.press("e")
        await pilot.pause()
        assert screen.axis == "epoch" and curves.axis == "epoch"
        assert all(subtitle.startswith("epoch  ") for subtitle in subtitles(pilot))
        xs, losses = curves.drawn["loss/sgd/train"]
        assert xs == [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
        assert losses[0] == 1.0  # the values do not move, only their x
        assert curves.drawn["accuracy/sgd/test"] == ([1.0, 2.0], [0.8, 0.8])
        for plot in (loss_plot, accuracy_plot):
            assert isinstance(plot._x_formatter, EpochAxisFormatter)
            assert max(plotted_xs(plot)) == 2.0
            assert x_tick_labels(plot) == ["0", "1", "2"]  # whole epochs, no long fractions

        await pilot.press("e")
        await pilot.pause()
        assert screen.axis == "step"
        assert all(subtitle.startswith("step ") for subtitle in subtitles(pilot))
        assert curves.drawn["accuracy/sgd/test"][0] == [8.0, 16.0]
        assert x_tick_labels(loss_plot)[-1] == "16"


async def test_e_before_a_run_holds_for_the_run_and_the_next_one():
    async with train_app(quick(epochs=2)).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        screen = screen_of(pilot)
        assert screen.axis == "epoch"
        assert all(subtitle.startswith("epoch  ") for subtitle in subtitles(pilot))
        await pilot.press("ctrl+r")
        screen = await until_trained(pilot)
        curves = screen.query_one(TrainCurves)
        xs, _ = curves.drawn["loss/sgd/train"]
        steps, _ = screen.metrics.series("sgd", "train", "loss")
        assert xs == [step / PER_EPOCH for step in steps]
        assert xs[-1] == 2.0
        assert curves.drawn["accuracy/sgd/test"][0] == [1.0, 2.0]
        assert max(plotted_xs(plots(pilot)[1])) == 2.0
        assert x_tick_labels(plots(pilot)[0]) == ["0", "1", "2"]

        first_log = screen.metrics
        await pilot.press("ctrl+r")  # a second run: a new log, the same axis
        screen = await until_trained(pilot)
        assert screen.metrics is not first_log
        assert screen.axis == "epoch"
        assert curves.drawn["accuracy/sgd/test"][0] == [1.0, 2.0]
        assert all(subtitle.startswith("epoch  ") for subtitle in subtitles(pilot))


async def test_e_during_a_run_redraws_live_in_epochs():
    async with train_app(long_run()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        screen = screen_of(pilot)
        await wait_for(pilot, lambda: bool(screen.metrics.points("sgd", "test")))
        await pilot.press("e")
        await pilot.pause()
        assert screen.running
        assert all(subtitle.startswith("epoch  ") for subtitle in subtitles(pilot))
        curves = screen.query_one(TrainCurves)
        drawn_at = screen.plots_drawn
        # the redraw timer goes on drawing in epochs as the log grows
        await wait_for(pilot, lambda: screen.plots_drawn > drawn_at + 2)
        test_xs, _ = curves.drawn["accuracy/sgd/test"]
        assert test_xs and test_xs == [float(i) for i in range(1, len(test_xs) + 1)]
        xs, _ = curves.drawn["loss/sgd/train"]
        assert len(xs) > 1
        assert all(x == round(x * PER_EPOCH) / PER_EPOCH for x in xs)  # eighths of an epoch
        assert screen.metrics.x_end("epoch") == 5000.0
        assert xs[-1] <= 5000.0
        assert x_tick_labels(plots(pilot)[0])[-1] == "5000"  # the planned 5000 epochs
        await pilot.press("x")
        screen = await until_trained(pilot)
        assert screen.axis == "epoch"
        xs, _ = curves.drawn["loss/sgd/train"]
        steps, _ = screen.metrics.series("sgd", "train", "loss")
        assert xs == [step / PER_EPOCH for step in steps]  # the stopped run, drawn at its end


async def test_e_after_a_race_puts_every_run_on_epochs():
    async with train_app(quick(epochs=2)).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen_of(pilot).query_one("#train-race", Input).value = "sgd,adam"
        await pilot.pause()
        await pilot.press("ctrl+r")
        screen = await until_trained(pilot)
        curves = screen.query_one(TrainCurves)
        assert curves.drawn["accuracy/adam/test"][0] == [8.0, 16.0]
        assert subtitles(pilot)[0].startswith("step ")
        await pilot.press("e")  # the race's Start left the focus off the fields
        await pilot.pause()
        assert subtitles(pilot) == ["epoch  ● test set", "epoch  ● test set"]
        for run in ("sgd", "adam"):
            assert curves.drawn[f"accuracy/{run}/test"][0] == [1.0, 2.0], run
            assert curves.drawn[f"loss/{run}/train"][0][-1] == 2.0, run
        assert curves.legend_shown
        assert x_tick_labels(plots(pilot)[0]) == ["0", "1", "2"]


async def test_e_on_another_tab_draws_the_curves_in_epochs_when_they_show():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        screen.metrics = epoch_log()
        screen.redraw(force=True)
        await pilot.press("right_square_bracket")
        assert screen.tabs.active == "train-tab-predictions"
        await pilot.press("e")
        assert screen.axis == "epoch"
        curves = screen.query_one(TrainCurves)
        assert curves.axis == "step"  # hidden plots wait
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert curves.axis == "epoch"
        assert curves.drawn["accuracy/sgd/test"][0] == [1.0, 2.0]
        assert all(subtitle.startswith("epoch  ") for subtitle in subtitles(pilot))


async def test_e_types_in_a_field_and_help_lists_the_axis_key():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        rows = {action: (str(keys), tip) for keys, action, tip in help_rows(screen)}
        assert rows["Axis"][0] == "e"
        assert "epochs" in rows["Axis"][1]
        field = screen.query_one("#train-race", Input)
        field.focus()
        await pilot.press("e")
        assert field.value == "e"
        assert screen.axis == "step"
        await pilot.press("escape", "e")
        assert screen.axis == "epoch"


async def test_the_final_test_score_is_drawn_on_the_right_edge():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        screen.metrics = epoch_log()
        for axis in ("step", "epoch"):
            assert screen.axis == axis
            screen.redraw(force=True)
            await pilot.pause()
            for plot in plots(pilot):
                canvas = plot.query_one("#plot")
                rows = [canvas.render_line(y).text for y in range(canvas.size.height)]
                # both test points: after epoch 1 and, at the axis' very end, after epoch 2
                assert sum(row.count(TEST_MARKER) for row in rows) == 2, rows
                assert any(row[-2] == TEST_MARKER for row in rows), rows  # inside the frame
            await pilot.press("e")
