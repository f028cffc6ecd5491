"""The x axis of the training curves from the core: points in steps or epochs, a race's runs each
by its own epoch length, a log without a start point, the plot's end, and epoch tick marks."""

from __future__ import annotations

import threading

import pytest

from cnn_tui.core.training.metrics import (
    AXES,
    MetricsLog,
    Point,
    epoch_ticks,
    epoch_x,
    steps_per_epoch_of,
    tick_labels,
    x_of,
)


def start(run: str, per_epoch: int | None, epochs: int) -> Point:
    extra = {"device": "cpu", "epochs": epochs}
    if per_epoch is not None:
        extra |= {"steps_per_epoch": per_epoch, "total_steps": per_epoch * epochs}
    return Point(run, "start", extra=extra)


def one_run(log: MetricsLog, run: str, per_epoch: int, epochs: int, every: int) -> None:
    """What the engine reports for a run: a train point every `every` steps, and at each
    epoch's end an epoch point and a test point at that step."""
    log.append(start(run, per_epoch, epochs))
    for step in range(every, per_epoch * epochs + 1, every):
        epoch = (step - 1) // per_epoch
        log.append(Point(run, "train", epoch=epoch, step=step, loss=10.0 / step, accuracy=0.5))
        if step % per_epoch == 0:
            log.append(Point(run, "epoch", epoch=epoch, step=step))
            log.append(Point(run, "test", epoch=epoch, step=step, loss=1.0 / step, accuracy=0.9))
    log.append(Point(run, "done", epoch=epochs, step=per_epoch * epochs))


def test_steps_stay_the_default_axis():
    assert AXES[0] == "step"
    log = MetricsLog()
    one_run(log, "sgd", per_epoch=4, epochs=3, every=2)
    assert log.series("sgd", "train", "loss") == log.series("sgd", "train", "loss", "step")
    xs, _ = log.series("sgd", "test", "accuracy")
    assert xs == [4.0, 8.0, 12.0]
    assert log.x_end() == 12.0


def test_train_and_test_points_in_epochs():
    log = MetricsLog()
    one_run(log, "sgd", per_epoch=4, epochs=3, every=2)
    assert log.steps_per_epoch("sgd") == 4
    xs, losses = log.series("sgd", "train", "loss", "epoch")
    assert xs == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    assert losses == [10.0 / step for step in (2, 4, 6, 8, 10, 12)]  # values untouched
    test_xs, accuracies = log.series("sgd", "test", "accuracy", "epoch")
    assert test_xs == [1.0, 2.0, 3.0]  # the test after epoch 0 lands at 1.0
    assert accuracies == [0.9, 0.9, 0.9]
    assert log.x_end("epoch") == 3.0


def test_a_point_mid_epoch_lands_at_its_fraction():
    per_epoch = 45  # ceil(1437 / 32): the digits training set in batches of 32
    point = Point("adam", "train", epoch=2, step=100)
    assert epoch_x(point, per_epoch) == pytest.approx(100 / 45)
    assert x_of(point, "epoch", per_epoch) == pytest.approx(2.2222222222)
    assert x_of(point, "step", per_epoch) == 100.0
    test_point = Point("adam", "test", epoch=0, step=45)  # eval after epoch 0
    assert epoch_x(test_point, per_epoch) == 1.0


def test_a_race_puts_each_run_on_its_own_epochs():
    log = MetricsLog()
    # two runs interleaved as a race reports them; the second counts epochs of 5 steps (as if
    # it were read back from another run's file) to show each run uses its own start point
    log.append(start("sgd", 4, 2))
    log.append(start("adam", 5, 2))
    for step in range(1, 11):
        for run, per_epoch in (("sgd", 4), ("adam", 5)):
            if step <= per_epoch * 2:
                epoch = (step - 1) // per_epoch
                log.append(Point(run, "train", epoch=epoch, step=step, loss=1.0))
                if step % per_epoch == 0:
                    log.append(Point(run, "test", epoch=epoch, step=step, accuracy=0.8))
    sgd_xs, _ = log.series("sgd", "train", "loss", "epoch")
    adam_xs, _ = log.series("adam", "train", "loss", "epoch")
    assert sgd_xs == [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
    assert adam_xs == [0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0]
    assert log.series("sgd", "test", "accuracy", "epoch")[0] == [1.0, 2.0]
    assert log.series("adam", "test", "accuracy", "epoch")[0] == [1.0, 2.0]
    assert log.series("adam", "test", "accuracy", "step")[0] == [5.0, 10.0]
    assert log.x_end("step") == 10.0  # the longer run sets the plot's end
    assert log.x_end("epoch") == 2.0


def test_a_log_without_its_start_point_learns_the_epoch_length_from_an_epoch_point():
    full = MetricsLog()
    one_run(full, "sgd", per_epoch=4, epochs=3, every=2)
    log = MetricsLog()
    for point in full.points(kind="train") + full.points(kind="epoch"):
        log.append(point)  # as if read from a file whose first line was lost
    assert log.steps_per_epoch("sgd") == 4  # the epoch point of epoch 0 came at step 4
    assert log.series("sgd", "train", "loss", "epoch")[0] == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    assert log.x_end("epoch") is None  # no run said how long it would be: the plot scales
    assert log.x_end("step") is None


def test_a_log_with_no_epoch_length_at_all_puts_points_at_their_epochs_end():
    log = MetricsLog()
    log.append(Point("sgd", "train", epoch=0, step=2, loss=2.0))
    log.append(Point("sgd", "train", epoch=0, step=4, loss=1.5))
    log.append(Point("sgd", "train", epoch=1, step=6, loss=1.0))
    log.append(Point("sgd", "test", epoch=0, step=4, accuracy=0.7))
    log.append(Point("sgd", "log", epoch=1, iteration=0, step=4, loss=1.2))
    assert log.steps_per_epoch("sgd") is None
    assert log.series("sgd", "train", "loss", "epoch") == ([1.0, 1.0, 2.0], [2.0, 1.5, 1.0])
    assert log.series("sgd", "test", "accuracy", "epoch") == ([1.0], [0.7])
    assert log.series("sgd", "log", "loss", "epoch") == ([1.0], [1.2])
    assert log.series("sgd", "train", "loss", "step")[0] == [2.0, 4.0, 6.0]
    assert log.x_end("epoch") is None


def test_a_start_point_without_a_usable_epoch_length_is_passed_over():
    assert steps_per_epoch_of([start("sgd", None, 2)]) is None
    assert steps_per_epoch_of([Point("sgd", "start", extra={"steps_per_epoch": 0})]) is None
    assert steps_per_epoch_of([Point("sgd", "start", extra={"steps_per_epoch": "4"})]) is None
    assert steps_per_epoch_of([Point("sgd", "start", extra={"steps_per_epoch": 4.0})]) == 4
    # an epoch point at a step that is no whole number of epochs tells nothing
    assert steps_per_epoch_of([Point("sgd", "epoch", epoch=1, step=7)]) is None
    assert steps_per_epoch_of([Point("sgd", "epoch", epoch=1, step=8)]) == 4
    log = MetricsLog()
    log.append(Point("sgd", "start", extra={"steps_per_epoch": 0, "total_steps": 0}))
    log.append(Point("sgd", "train", epoch=0, step=3, loss=1.0))
    assert log.series("sgd", "train", "loss", "epoch")[0] == [1.0]
    assert log.x_end("step") is None and log.x_end("epoch") is None


def test_an_empty_log_has_no_series_and_no_end():
    log = MetricsLog()
    assert log.series("sgd", "train", "loss", "epoch") == ([], [])
    assert log.steps_per_epoch("sgd") is None
    assert log.x_end("epoch") is None


def test_epoch_series_read_while_the_trainer_appends_are_consistent():
    log = MetricsLog()
    log.append(start("sgd", 8, 1000))
    done = threading.Event()

    def trainer() -> None:
        for step in range(1, 4001):
            log.append(Point("sgd", "train", epoch=(step - 1) // 8, step=step, loss=float(step)))
        done.set()

    thread = threading.Thread(target=trainer)
    thread.start()
    reads = 0
    while not done.is_set() or reads == 0:
        xs, ys = log.series("sgd", "train", "loss", "epoch")
        assert len(xs) == len(ys)
        assert xs == [y / 8 for y in ys]
        reads += 1
    thread.join()
    xs, _ = log.series("sgd", "train", "loss", "epoch")
    assert len(xs) == 4000 and xs[-1] == 500.0


@pytest.mark.parametrize(
    ("high", "ticks", "labels"),
    [
        (1, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0], ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]),
        (2, [0.0, 1.0, 2.0], ["0", "1", "2"]),
        (3, [0.0, 1.0, 2.0, 3.0], ["0", "1", "2", "3"]),
        (10, [0.0, 2.0, 4.0, 6.0, 8.0, 10.0], ["0", "2", "4", "6", "8", "10"]),
        (25, [0.0, 5.0, 10.0, 15.0, 20.0, 25.0], ["0", "5", "10", "15", "20", "25"]),
        (
            5000,
            [0.0, 1000.0, 2000.0, 3000.0, 4000.0, 5000.0],
            ["0", "1000", "2000", "3000", "4000", "5000"],
        ),
    ],
)
def test_epoch_ticks_are_whole_epochs_once_the_axis_spans_two(high, ticks, labels):
    assert epoch_ticks(0, high) == ticks
    assert tick_labels(ticks) == labels


def test_epoch_ticks_keep_within_the_range_and_the_count():
    assert epoch_ticks(0.5, 3.5) == [1.0, 2.0, 3.0]
    assert epoch_ticks(0, 10, max_ticks=3) == [0.0, 5.0, 10.0]
    assert epoch_ticks(0, 1.5) == [0.0, 0.5, 1.0, 1.5]
    assert epoch_ticks(2, 2) == [2.0]  # one point: one tick, no division by zero
    assert epoch_ticks(0, float("nan")) == [0.0]
    assert tick_labels([]) == []
    assert tick_labels([3.0]) == ["3"]


def test_a_real_run_puts_its_test_points_on_whole_epochs():
    pytest.importorskip("torch")
    from cnn_tui.core.training.loop import train
    from cnn_tui.core.training.train_config import OptimizerSettings, TrainConfig

    config = TrainConfig(
        model="conv(4,3) relu maxpool(2) flatten linear(10)",
        input_shape=(1, 8, 8),
        dataset="digits",
        optimizers=(OptimizerSettings("sgd", lr=0.1), OptimizerSettings("adam")),
        batch_size=32,
        epochs=2,
        limit_train=256,
        device="cpu",
    )
    log = train(config).log
    for run in ("sgd", "adam"):
        assert log.steps_per_epoch(run) == 8  # 256 images in batches of 32
        test_xs, _ = log.series(run, "test", "accuracy", "epoch")
        assert test_xs == [1.0, 2.0]
        train_xs, _ = log.series(run, "train", "loss", "epoch")
        steps, _ = log.series(run, "train", "loss", "step")
        assert train_xs == [step / 8 for step in steps]
        assert train_xs[-1] == 2.0
    assert log.x_end("epoch") == 2.0
    assert log.x_end("step") == 16.0
