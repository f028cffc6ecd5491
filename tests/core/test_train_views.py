"""Training settings, the metrics log, and the views of a trained network."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from cnn_tui.core.training.metrics import MetricsLog, Point, smooth
from cnn_tui.core.training.train_config import (
    Augment,
    ConfigError,
    OptimizerSettings,
    TrainConfig,
    parse_race,
)


def test_config_round_trips_through_json():
    config = TrainConfig(
        model="lenet5",
        input_shape=(1, 32, 32),
        optimizers=parse_race("sgd:0.1,adam", momentum=None),
        augment=Augment(shift=2, noise=0.1),
        ema_decay=0.99,
    )
    again = TrainConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config


def test_parse_race_reads_rates_after_colons():
    race = parse_race("sgd:0.1, momentum ,Adam:1e-3")
    assert [(o.name, o.lr) for o in race] == [("sgd", 0.1), ("momentum", None), ("adam", 0.001)]
    assert [o.learning_rate for o in race] == [0.1, 0.01, 0.001]
    with pytest.raises(ConfigError, match="'fast' in 'sgd:fast' is not a number"):
        parse_race("sgd:fast")
    with pytest.raises(ConfigError, match="optimizer 'lion' is not one of sgd, momentum"):
        parse_race("lion")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_size": 0}, "batch size must be at least 1"),
        ({"schedule": "warm"}, "schedule 'warm' is not one of constant"),
        ({"device": "tpu"}, "device 'tpu' is not one of auto"),
        ({"ema_decay": 1.5}, "EMA decay must be in"),
        ({"optimizers": ()}, "at least one optimizer"),
        ({"optimizers": tuple(OptimizerSettings() for _ in range(6))}, "at most 5"),
        (
            {"optimizers": (OptimizerSettings(label="x"), OptimizerSettings("adam", label="x"))},
            "different names",
        ),
    ],
)
def test_bad_settings_name_the_setting(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**changes)


def test_optimizer_settings_describe_themselves():
    assert OptimizerSettings("momentum").describe() == "momentum lr=0.01 momentum=0.9"
    assert OptimizerSettings("adam", weight_decay=0.01).describe() == (
        "adam lr=0.001 betas=(0.9, 0.999) weight_decay=0.01"
    )
    with pytest.raises(ConfigError, match="learning rate must be a positive number"):
        OptimizerSettings(lr=-1)


def test_metrics_log_is_safe_across_threads():
    log = MetricsLog()

    def writer(name: str) -> None:
        for step in range(500):
            log.append(Point(run=name, kind="train", step=step, loss=float(step)))

    threads = [threading.Thread(target=writer, args=(f"r{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert log.version == 2000
    assert sorted(log.runs()) == ["r0", "r1", "r2", "r3"]
    xs, ys = log.series("r2", "train", "loss")
    assert xs == ys == [float(s) for s in range(500)]
    assert log.last("r1").step == 499
    assert len(log.points(since=1990)) == 10
    lines = log.to_jsonl().splitlines()
    assert len(lines) == 2000
    assert json.loads(lines[0])["kind"] == "train"


def test_smooth_is_an_exponential_moving_average():
    assert smooth([1.0, 0.0, 0.0], weight=0.5) == [1.0, 0.5, 0.25]
    assert smooth([]) == []


def test_clock_and_memory_read_as_the_status_line_shows_them():
    from cnn_tui.core.views.train_status import clock, memory

    assert [clock(s) for s in (-3, 0, 75, 3725)] == ["0:00", "0:00", "1:15", "1:02:05"]
    assert memory(300 * 2**20) == "300 MiB"
    assert memory(int(58.1 * 2**20)) == "58.1 MiB"  # short_bytes' one decimal, '.0' left off
    assert memory(3 * 2**29) == "1.5 GiB"
    assert memory(512) == "512 B"


def _race_log() -> MetricsLog:
    log = MetricsLog()
    extra = {"total_steps": 100, "steps_per_epoch": 50, "device_name": "cpu (2 threads)"}
    for run in ("sgd", "adam"):
        log.append(Point(run, "start", extra=extra))
    log.append(Point("sgd", "train", step=50, epoch=1, images_per_second=900.0, elapsed=10.0))
    log.append(Point("adam", "train", step=25, loss=0.5, images_per_second=1000.0, elapsed=5.0))
    log.append(Point("sgd", "test", step=50, loss=0.4, accuracy=0.8))
    log.append(Point("adam", "test", step=25, loss=0.3, accuracy=0.9))
    return log


def test_progress_follows_the_slowest_run_still_going():
    from cnn_tui.core.views.train_status import progress, status_line

    log = _race_log()
    now = progress(log)
    assert now is not None
    assert (now.state, now.epoch, now.epochs, now.step) == ("training", 1, 2, 25)
    assert now.images_per_second == 1000.0
    assert now.eta_seconds == pytest.approx(15.0)  # adam: 5 s for 25 of 100 steps
    assert progress(log, paused=True).state == "paused"
    assert status_line(log) == (
        "training  epoch 1/2  step 25/100  1,000 img/s  ETA 0:15  cpu (2 threads)"
    )
    log.append(Point("adam", "stopped", step=25))
    log.append(Point("sgd", "error", step=50, message="NaN loss"))
    # all ended: the slowest run's place, the longest run's time, no speed or ETA
    assert status_line(log) == "stopped  epoch 1/2  step 25/100  took 0:10  cpu (2 threads)"
    assert progress(MetricsLog()) is None and status_line(MetricsLog()) == ""


def test_board_rows_rank_and_word_every_run():
    from cnn_tui.core.views.train_status import BOARD_COLUMNS, board_rows, run_colour, run_status

    log = _race_log()
    rows = board_rows(log)
    assert [row.run for row in rows] == ["adam", "sgd"]  # best test accuracy first
    assert [row.colour for row in rows] == [run_colour(1), run_colour(0)]  # the race's order
    assert list(rows[0].cells()) == list(BOARD_COLUMNS)
    assert rows[0].cells()["test acc"] == "90.0%"
    assert rows[0].cells()["train loss"] == "0.5000"
    assert rows[1].cells()["train loss"] == "—"
    assert rows[0].cells()["img/s"] == "1,000"
    assert [row.status for row in board_rows(log, paused=True)] == ["paused", "paused"]
    log.append(Point("sgd", "error", message="NaN loss"))
    failed = board_rows(log)[1]
    assert failed.status == "error: NaN loss" and failed.failed
    assert run_status(None, trained=False) == "starting"
    assert run_status(Point("x", "error"), trained=True) == "error"
    assert run_status(Point("x", "done"), trained=True) == "done"


def test_filter_picture_keeps_zero_mid_grey():
    from cnn_tui.core.training.model_views import filter_picture

    grey = filter_picture(np.array([[[-1.0, 0.0], [1.0, 0.0]]]))
    assert grey.shape == (2, 2, 3) and grey.dtype == np.uint8
    assert grey[0, 1, 0] == 128 and grey[0, 0, 0] == 0 and grey[1, 0, 0] == 255
    colour = filter_picture(np.stack([np.full((2, 2), v) for v in (-2.0, 0.0, 2.0)]))
    assert colour[0, 0].tolist() == [0, 128, 255]  # red negative, green zero, blue positive


torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def trained():
    from cnn_tui.core.training.loop import train

    config = TrainConfig(
        model="conv(4,3) relu maxpool(2) flatten linear(10) logsoftmax",
        input_shape=(1, 8, 8),
        optimizers=(OptimizerSettings("adam", lr=0.01),),
        epochs=2,
        device="cpu",
    )
    result = train(config)
    return result.runs[0].model, result.data


def test_confusion_matrix_counts_every_test_image(trained):
    from cnn_tui.core.training.model_views import confusion_matrix

    model, data = trained
    counts = confusion_matrix(model, data, batch_size=100)
    with torch.no_grad():
        predicted = model(data.test_x).argmax(1)
    assert counts.shape == (10, 10)
    assert counts.sum() == 360
    for t in range(10):
        for p in range(10):
            expected = int(((data.test_y == t) & (predicted == p)).sum())
            assert counts[t, p] == expected
    assert np.trace(counts) / 360 > 0.5


def test_top_predictions_are_probabilities_in_order(trained):
    from cnn_tui.core.training.model_views import top_predictions

    model, data = trained
    shown = top_predictions(model, data, count=6, k=3, start=10)
    assert [p.index for p in shown] == list(range(10, 16))
    with torch.no_grad():
        probs = model(data.test_x[10:16]).exp()  # the stack ends in log-softmax
    for p, row in zip(shown, probs, strict=True):
        assert p.label == int(data.test_y[p.index])
        assert [c for c, _ in p.top] == row.topk(3).indices.tolist()
        assert [v for _, v in p.top] == pytest.approx(row.topk(3).values.tolist(), rel=1e-5)
        assert p.image.shape == (8, 8)
        assert p.image.min() >= 0 and p.image.max() <= 1


def test_filters_and_feature_maps_match_the_first_conv(trained):
    from cnn_tui.core.training.model_views import feature_maps, first_conv_filters, to_picture

    model, data = trained
    filters = first_conv_filters(model)
    assert filters.shape == (4, 1, 3, 3)
    assert np.array_equal(filters, model[0].weight.detach().numpy())
    maps = feature_maps(model, data, 5)
    with torch.no_grad():
        expected = torch.relu(model[0](data.test_x[5:6]))[0].numpy()
    assert np.allclose(maps, expected)
    picture = to_picture(filters[0, 0], symmetric=True)
    assert picture.shape == (3, 3, 3) and picture.dtype == np.uint8
    assert to_picture(np.zeros((2, 2))).max() == 0
    assert to_picture(np.array([[0.0, 1.0]]))[0, 1, 0] == 255


def test_compute_views_puts_every_tab_together(trained):
    from cnn_tui.core.training.model_views import PREDICTIONS, compute_views
    from cnn_tui.core.views.fields import FieldError

    model, data = trained
    views = compute_views(model, data, "adam", 5)
    assert (views.run, views.index, views.test_size, views.labels) == ("adam", 5, 360, DIGITS)
    assert views.matrix is not None and views.matrix.sum() == 360
    assert [tile.index for tile in views.tiles] == list(range(PREDICTIONS))
    assert all(tile.picture.shape == (8, 8, 3) for tile in views.tiles)
    assert views.tiles[0].truth == str(int(data.test_y[0])) and len(views.tiles[0].top) == 3
    assert views.filter_shape == (4, 1, 3, 3) and len(views.filters) == 4
    assert views.image is not None and views.image.shape == (8, 8, 3)
    assert views.truth == str(int(data.test_y[5]))
    assert views.map_shape == (4, 6, 6) and len(views.maps) == 4
    again = compute_views(model, data, "adam", 6, maps_only=True)
    assert again.maps_only and again.matrix is None and not again.tiles and not again.filters
    assert again.map_shape == (4, 6, 6)
    with pytest.raises(FieldError, match="test image: pick 0 to 359, not 360"):
        compute_views(model, data, "adam", 360)


DIGITS = tuple("0123456789")


@pytest.mark.parametrize(
    "make",
    [
        lambda: OptimizerSettings(weight_decay=float("nan")),
        lambda: OptimizerSettings(momentum=float("nan")),
        lambda: Augment(noise=float("nan")),
        lambda: Augment(rotate=float("inf")),
        lambda: TrainConfig(gamma=float("nan")),
        lambda: TrainConfig(ema_decay=float("nan")),
    ],
)
def test_not_a_number_is_refused(make):
    with pytest.raises(ConfigError):
        make()


def test_points_leave_out_non_finite_numbers():
    from cnn_tui.core.training.metrics import json_safe

    point = Point(run="sgd", kind="test", loss=float("nan"), accuracy=0.1)
    data = point.to_dict()
    assert "loss" not in data and data["accuracy"] == 0.1
    assert json_safe({"a": [float("inf"), 1.0], "b": float("nan")}) == {"a": [None, 1.0], "b": None}
