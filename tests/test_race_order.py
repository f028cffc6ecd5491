"""One race, one order: the CLI's race table and the app's train board both rank with the core's
`rank_runs` (ties on accuracy go to the lower test loss; untested runs last)."""

from __future__ import annotations

import io
import re

from rich.console import Console

from cnn_tui.cli import render_train_result
from cnn_tui.core.training.metrics import MetricsLog, Point
from cnn_tui.core.training.results import RunResult, TrainResult
from cnn_tui.core.training.train_config import OptimizerSettings, TrainConfig
from cnn_tui.core.views.race_board import rank_runs
from cnn_tui.core.views.train_status import board_rows

RACE = (
    # run, status, test accuracy, test loss (in the race's order)
    ("sgd", "done", 0.90, 0.35),
    ("momentum", "done", 0.95, 0.20),
    ("adam", "done", 0.90, 0.30),  # ties sgd on accuracy with a lower loss: ahead of it
    ("rmsprop", "error", None, None),  # failed before its first test: last
    ("adagrad", "stopped", 0.50, 1.00),
)
ORDER = ["momentum", "adam", "sgd", "adagrad", "rmsprop"]
CONFIG = TrainConfig(optimizers=tuple(OptimizerSettings(run) for run, *_ in RACE), epochs=1)


def race_result() -> TrainResult:
    runs = [
        RunResult(
            run,
            status,
            epochs=0 if accuracy is None else 1,
            test_accuracy=accuracy,
            test_loss=loss,
            optimizer=run,
        )
        for run, status, accuracy, loss in RACE
    ]
    return TrainResult(CONFIG, "cpu", "CPU (2 threads)", runs, MetricsLog())


def race_log() -> MetricsLog:
    log = MetricsLog()
    for run, status, accuracy, loss in RACE:
        log.append(Point(run, "start"))
        if accuracy is not None:
            log.append(Point(run, "test", step=10, loss=loss, accuracy=accuracy))
            log.append(Point(run, "epoch", step=10))
        log.append(Point(run, status, step=10, message="loss became NaN" * (status == "error")))
    return log


def cli_order() -> list[str]:
    console = Console(file=io.StringIO(), width=120, record=True)
    render_train_result(console, race_result(), CONFIG)
    rows = re.findall(r"^\s*(\d+)\s+(\S+)", console.export_text(), re.MULTILINE)
    assert [int(place) for place, _ in rows] == list(range(1, len(RACE) + 1))
    return [name for _, name in rows]


def test_the_cli_race_table_is_in_rank_runs_order():
    assert [r.run for r in rank_runs(race_result().runs)] == ORDER
    assert cli_order() == ORDER


def test_the_train_board_is_in_rank_runs_order_the_same_as_the_cli():
    rows = board_rows(race_log())
    assert [row.run for row in rows] == [row.run for row in rank_runs(rows)] == ORDER
    assert [row.run for row in rows] == cli_order()
    assert rows[-1].status == "error: loss became NaN"
