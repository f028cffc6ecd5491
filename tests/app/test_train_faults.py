"""Pilot tests for the train screen's faults: a damaged dataset and labels outside the classes
shown in one red line, a race of one named in the form, a NaN left by the last step, and a run
that broke without words after it started (the status line says error, not 'starting')."""

from __future__ import annotations

import numpy as np
import pytest
from textual.widgets import Input
from train_pilot import SIZE, quick, screen_of, start_and_wait, train_app

from cnn_tui.app.screens.train import TrainScreen
from cnn_tui.app.widgets.train.board import TrainBoard
from cnn_tui.app.widgets.train.status import TrainStatus
from cnn_tui.core.training.idx_files import pattern_digits, write_idx_labels, write_mnist_folder
from cnn_tui.core.training.train_config import OptimizerSettings, TrainConfig


def assert_red(screen: TrainScreen) -> None:
    assert screen.note[1] == "error"
    assert screen.query_one("#train-message").has_class("-error")


def mnist(tmp_path) -> TrainConfig:
    write_mnist_folder(tmp_path, pattern_digits(300, seed=1), pattern_digits(200, seed=2))
    return quick(dataset="mnist", data_dir=str(tmp_path), limit_train=64)


async def test_a_garbage_mnist_file_is_named_in_red(tmp_path):
    config = mnist(tmp_path)
    (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").write_bytes(b"hello world")
    async with train_app(config).run_test(size=SIZE) as pilot:
        screen = await start_and_wait(pilot)
        assert screen.message_text == (
            f"MNIST in {tmp_path}: t10k-labels-idx1-ubyte is not an IDX file (it starts with the "
            "bytes 68 65 6c 6c; an IDX file starts with 00 00, a type byte and its number of "
            "dimensions)"
        )
        assert_red(screen)
        assert screen.form.display


async def test_labels_outside_the_classes_are_named_in_red_before_training(tmp_path):
    config = mnist(tmp_path)
    labels = (np.arange(300) % 250).astype(np.uint8)
    write_idx_labels(tmp_path / "MNIST" / "raw" / "train-labels-idx1-ubyte", labels)
    async with train_app(config).run_test(size=SIZE) as pilot:
        screen = await start_and_wait(pilot)
        assert screen.message_text == (
            f"MNIST in {tmp_path}: train-labels-idx1-ubyte holds label 249; MNIST has 10 "
            "classes (0-9)"
        )
        assert_red(screen)
        assert screen.query_one(TrainStatus).text.startswith("no run yet")


async def test_a_race_of_one_is_named_in_the_form():
    async with train_app(quick(limit_train=64)).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        screen.query_one("#train-race", Input).value = "sgd,"
        await pilot.pause()
        await pilot.press("ctrl+r")
        assert screen.message_text == (
            "race: a race needs 2 to 5 optimizers, got 1 (sgd); leave race empty to train the "
            "one optimizer picked above"
        )
        assert_red(screen)
        assert screen.worker is None


async def test_a_nan_left_by_the_last_step_ends_the_run_as_an_error():
    config = quick(optimizers=(OptimizerSettings("sgd", lr=1e10),), limit_train=64)
    async with train_app(config).run_test(size=SIZE) as pilot:
        screen = await start_and_wait(pilot)
        message = (
            "test loss became NaN after step 1 (epoch 0, iteration 1; counted from 0 like the "
            "log lines) with learning rate 1e+10: the rate is probably too high for this stack; "
            "try 1e+09, or add batch norm"
        )
        assert screen.message_text == f"sgd: error: {message}"
        assert_red(screen)
        (row,) = screen.query_one(TrainBoard).rows_shown
        assert row.status == f"error: {message}"
        assert screen.query_one(TrainStatus).text.startswith("error  epoch 1/1  step 2/2")


async def test_a_run_that_breaks_without_words_says_error_not_starting(monkeypatch):
    from cnn_tui.core.training import run_state

    def assert_deep_in_a_library(self, *args):
        raise AssertionError

    monkeypatch.setattr(run_state._Run, "step", assert_deep_in_a_library)
    config = quick(limit_train=64)
    async with train_app(config).run_test(size=SIZE) as pilot:
        screen = await start_and_wait(pilot)
        assert screen.message_text == "training failed: AssertionError"
        assert_red(screen)
        assert screen.query_one(TrainStatus).text.startswith("error")
        (row,) = screen.query_one(TrainBoard).rows_shown
        assert row.status == "error: training failed: AssertionError"


@pytest.fixture(autouse=True)
def _torch():
    pytest.importorskip("torch")
