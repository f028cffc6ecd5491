"""Fixtures every test folder shares: waiting on the engine's own signals, never on the clock.

- `watched_pause`: a pause event that counts the engine's looks at it, so a test knows the
  engine has stopped to wait (and gone round its waiting loop) without sleeping.
- `point_arrivals`: wakes a test each time any MetricsLog gets a point, so a test waits for
  "the run logged `stopped`" on the log itself rather than polling it against a deadline.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

ENGINE_WAIT = 90.0
"""The longest any test waits for the engine (the first run imports torch and loads data)."""


class WatchedPause(threading.Event):
    """A pause event that counts the engine's looks at it while it is set: the first look means
    the batch in hand and its report are done and the engine waits; each later one is a turn of
    its waiting loop. Looks from the main thread (the UI's redraws) are not counted.

    `looks` is a semaphore released once per look (block on it from the main thread);
    `engine_looks` is the running count (read it from a pilot's condition)."""

    def __init__(self) -> None:
        super().__init__()
        self.looks = threading.Semaphore(0)
        self.engine_looks = 0

    def is_set(self) -> bool:
        held = super().is_set()
        if held and threading.current_thread() is not threading.main_thread():
            self.engine_looks += 1
            self.looks.release()
        return held


@pytest.fixture
def watched_pause() -> WatchedPause:
    return WatchedPause()


class PointArrivals:
    """A condition notified after every MetricsLog.append, in whichever thread appends."""

    def __init__(self) -> None:
        self.arrived = threading.Condition()

    def notify(self) -> None:
        with self.arrived:
            self.arrived.notify_all()

    def wait(self, condition: Callable[[], bool], seconds: float = ENGINE_WAIT) -> bool:
        """Block until condition() holds (checked at each new point); False after `seconds`."""
        with self.arrived:
            return self.arrived.wait_for(condition, timeout=seconds)


@pytest.fixture
def point_arrivals(monkeypatch) -> PointArrivals:
    from cnn_tui.core.training.metrics import MetricsLog

    arrivals = PointArrivals()
    append = MetricsLog.append

    def append_and_notify(self, point) -> None:
        append(self, point)
        arrivals.notify()

    monkeypatch.setattr(MetricsLog, "append", append_and_notify)
    return arrivals


INSPECT_STACK = (
    "conv(4,3,p=1) relu conv(6,3,s=2,p=1,d=2,g=2) relu maxpool(2,s=1,p=1) "
    "res[conv(6,3,p=same) relu] avgpool(2,p=1,ceil_mode=true,count_include_pad=false) "
    "flatten fc(10)"
)
"""A stack with every conv and pool setting a cell trace must honour, on 8x8 digits."""


@pytest.fixture(scope="session")
def inspect_checkpoint(tmp_path_factory):
    """A race of two runs (sgd, adam) with averaged weights, one epoch on 256 digits, saved
    as a checkpoint: the network the inspector tests look inside (about a second)."""
    from cnn_tui.core.training.loop import train
    from cnn_tui.core.training.train_config import OptimizerSettings, TrainConfig

    target = tmp_path_factory.mktemp("inspect") / "race.pt"
    config = TrainConfig(
        model=INSPECT_STACK,
        input_shape=(1, 8, 8),
        dataset="digits",
        optimizers=(OptimizerSettings("sgd", lr=0.1), OptimizerSettings("adam", lr=0.01)),
        batch_size=32,
        epochs=1,
        limit_train=256,
        device="cpu",
        ema_decay=0.9,
    )
    train(config, save=target)
    return target
