"""While a run trains in the app, Python switches threads every millisecond (the UI thread
answers keys sooner); before and after, the process's own interval."""

from __future__ import annotations

import sys
import threading

import pytest
from pilot_waits import wait_for
from train_pilot import SIZE, quick, screen_of, train_app

from cnn_tui.app.screens import train as train_screen
from cnn_tui.core.training import loop
from cnn_tui.core.training.devices import TrainingError
from cnn_tui.core.training.sharing import TRAINING_SWITCH_SECONDS


async def test_a_run_in_the_app_trains_with_a_short_switch_interval_then_restores_it(
    monkeypatch,
):
    seen: list[float] = []
    release = threading.Event()

    def fake_train(config, **kwargs):  # the engine's part is the engine's tests' business
        seen.append(sys.getswitchinterval())
        release.wait(30)
        raise TrainingError("done looking")

    monkeypatch.setattr(loop, "train", fake_train)
    monkeypatch.setattr(train_screen, "preload_torch", lambda: None)  # no torch needed here
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    try:
        async with train_app(quick()).run_test(size=SIZE) as pilot:
            screen = screen_of(pilot)
            await pilot.pause()
            assert sys.getswitchinterval() == pytest.approx(0.005)
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: bool(seen))
            assert seen == [pytest.approx(TRAINING_SWITCH_SECONDS)]
            assert sys.getswitchinterval() == pytest.approx(TRAINING_SWITCH_SECONDS)
            release.set()
            await wait_for(pilot, lambda: not screen.running)
            assert screen.message_text == "done looking"
            assert sys.getswitchinterval() == pytest.approx(0.005)
    finally:
        release.set()
        sys.setswitchinterval(before)
