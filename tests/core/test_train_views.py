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
