"""The race's one ranking (core/views/race_board.rank_runs): exact orders, ties, failed runs."""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnn_tui.core.training.results import RunResult
from cnn_tui.core.views.race_board import rank_runs


@dataclass(frozen=True)
class Run:
    run: str
    test_accuracy: float | None = None
    test_loss: float | None = None


def names(runs) -> list[str]:
    return [r.run for r in rank_runs(runs)]


def test_higher_test_accuracy_first():
    runs = [Run("sgd", 0.90, 0.30), Run("adam", 0.95, 0.40), Run("rmsprop", 0.80, 0.10)]
    assert names(runs) == ["adam", "sgd", "rmsprop"]


def test_equal_accuracies_go_to_the_lower_test_loss():
    runs = [Run("sgd", 0.90, 0.30), Run("momentum", 0.90, 0.20), Run("adam", 0.90, 0.25)]
    assert names(runs) == ["momentum", "adam", "sgd"]


def test_a_full_tie_keeps_the_race_order_not_the_names():
    runs = [Run("sgd", 0.90, 0.20), Run("adam", 0.90, 0.20), Run("adagrad", 0.95, 0.5)]
    assert names(runs) == ["adagrad", "sgd", "adam"]
    assert names(reversed(runs)) == ["adagrad", "adam", "sgd"]


def test_a_missing_or_nan_loss_loses_a_tie():
    runs = [Run("a", 0.5, math.nan), Run("b", 0.5, None), Run("c", 0.5, 9.0), Run("d", 0.4, 0.1)]
    assert names(runs) == ["c", "a", "b", "d"]


def test_untested_runs_go_last_in_race_order():
    runs = [Run("sgd"), Run("momentum", 0.10, 2.0), Run("adam"), Run("rmsprop", 0.0, 2.3)]
    assert names(runs) == ["momentum", "rmsprop", "sgd", "adam"]
    assert names([Run("c"), Run("a"), Run("b")]) == ["c", "a", "b"]  # a race not yet tested


def test_failed_runs_last_unless_tested_before_they_failed():
    runs = [
        RunResult("sgd", "error", "loss became NaN at step 3", steps=3),
        RunResult("adam", "done", test_accuracy=0.91, test_loss=0.31),
        RunResult(
            "momentum", "error", "out of memory", epochs=1, test_accuracy=0.93, test_loss=0.2
        ),
        RunResult("rmsprop", "stopped", epochs=1, test_accuracy=0.91, test_loss=0.29),
        RunResult("adagrad", "stopped"),
    ]
    # a run is ranked by its last test whatever its status; one never tested goes last
    assert names(runs) == ["momentum", "rmsprop", "adam", "sgd", "adagrad"]


def test_returns_a_new_list_and_leaves_the_input_alone():
    runs = [Run("b", 0.1, 1.0), Run("a", 0.2, 1.0)]
    ranked = rank_runs(runs)
    assert ranked == [runs[1], runs[0]]
    assert [r.run for r in runs] == ["b", "a"]
    assert rank_runs([]) == []
