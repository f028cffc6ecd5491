"""The train screen's sentences, worked out in the core: title, outcome, failure, headings."""

from __future__ import annotations

import numpy as np

from cnn_tui.core.training.metrics import MetricsLog, Point
from cnn_tui.core.training.model_views import ModelViews, PredictionTile
from cnn_tui.core.training.train_config import TrainConfig
from cnn_tui.core.views.train_lines import (
    TITLE_MODEL_WIDTH,
    confusion_heading,
    end_unfinished_runs,
    errors_line,
    failure_line,
    filters_heading,
    maps_heading,
    outcome_line,
    predictions_heading,
    run_title,
)


def _finished_race(ended: tuple[str, ...] = ("sgd", "adam")) -> MetricsLog:
    log = MetricsLog()
    extra = {"total_steps": 100, "steps_per_epoch": 50, "device_name": "cpu"}
    for run in ("sgd", "adam"):
        log.append(Point(run, "start", extra=extra))
        log.append(Point(run, "train", step=100, epoch=2, elapsed=75.0))
    log.append(Point("sgd", "test", step=100, loss=0.4, accuracy=0.8))
    log.append(Point("adam", "test", step=100, loss=0.3, accuracy=0.9))
    for run in ended:
        log.append(Point(run, "done", step=100))
    return log


def test_run_title_cuts_a_long_model_and_shows_control_characters():
    assert run_title(TrainConfig(model="seed-mnist", dataset="digits")) == "seed-mnist on digits"
    long = run_title(TrainConfig(model="conv(8,3) " * 10, dataset="mnist"))
    assert long.endswith("… on mnist") and len(long.removesuffix(" on mnist")) == TITLE_MODEL_WIDTH
    assert "\x1b" not in run_title(TrainConfig(model="a\x1bb"))


def test_outcome_line_lists_the_test_accuracies_in_board_order():
    log = _finished_race()
    text, tone = outcome_line(log, settings_shown=True)
    assert tone == "info"
    assert text == "done in 1:15: test accuracy adam 90.0%, sgd 80.0%; the tabs show the network"
    hidden, _ = outcome_line(log, settings_shown=False)
    assert hidden.endswith("the tabs show the network, s the settings")


def test_outcome_line_names_failed_runs_as_errors():
    log = _finished_race(ended=("adam",))
    log.append(Point("sgd", "error", message="NaN loss"))
    text, tone = outcome_line(log, settings_shown=True)
    assert tone == "error" and "sgd: error: NaN loss" in text and "adam 90.0%" in text
    only = MetricsLog()
    only.append(Point("sgd", "start", extra={"total_steps": 10}))
    only.append(Point("sgd", "error", message="out of memory"))
    assert outcome_line(only, settings_shown=True) == ("sgd: error: out of memory", "error")


def test_failure_line_and_unfinished_runs():
    assert failure_line(RuntimeError("CUDA out of memory\nmore detail")) == "CUDA out of memory"
    assert failure_line(AssertionError()) == "training failed: AssertionError"
    log = MetricsLog()
    log.append(Point("sgd", "start"))
    log.append(Point("adam", "start"))
    log.append(Point("adam", "done"))
    end_unfinished_runs(log, "broke")
    assert [(p.run, p.message) for p in log.points(kind="error")] == [("sgd", "broke")]
    assert errors_line(log) == "sgd: broke"


def test_headings_over_the_views():
    tiles = [
        PredictionTile(i, np.zeros((2, 2)), "1", (("1" if i < 3 else "0", 0.9),)) for i in range(4)
    ]
    views = ModelViews(
        run="adam",
        labels=("0", "1"),
        index=0,
        test_size=10,
        matrix=np.array([[3, 1], [2, 4]]),
        tiles=tiles,
        filter_shape=(8, 1, 3, 3),
        truth="7",
        map_shape=(8, 26, 26),
    )
    assert predictions_heading(views).startswith("adam: 3 of these 4 test images right;")
    assert confusion_heading(views) == (
        "adam: 7 of 10 test images right (70.0%); rows: true class, columns: the network's guess"
    )
    assert filters_heading(views).startswith("adam: the first conv layer's 8 filters, 1x3x3 each")
    assert maps_heading(views) == "(a 7), then its 8 maps, 26x26"
    bare = ModelViews(run="fc", labels=("0",), index=0, test_size=1)
    assert confusion_heading(bare) is None
    assert filters_heading(bare) == "fc: this stack has no conv layer"
    assert maps_heading(bare) == "(no conv layer: no feature maps)"
