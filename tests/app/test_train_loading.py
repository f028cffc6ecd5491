"""Issue 15 item 14 (Train): torch loads in the background once the screen is up, and a run
that has not reported yet says what it is waiting for."""

from __future__ import annotations

from pilot_waits import wait_for
from train_pilot import SIZE, quick, screen_of, train_app

from cnn_tui.app.screens.train import TrainScreen
from cnn_tui.core.training import preload


async def test_opening_train_starts_loading_torch_in_the_background(monkeypatch):
    started = []
    monkeypatch.setattr("cnn_tui.app.screens.train.preload_torch", lambda: started.append(1))
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(started))  # after the first paint, by a timer


async def test_a_run_that_has_not_reported_says_what_it_waits_for(monkeypatch):
    # the engine is held back (no worker), so the wait is what the screen shows
    monkeypatch.setattr(TrainScreen, "train_in_background", lambda self, *args: None)
    monkeypatch.setattr(preload, "torch_loaded", lambda: False)
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        screen = screen_of(pilot)
        assert screen.message_text.startswith("starting sgd: loading PyTorch (")
        assert screen.message_text.endswith(" s)...")  # the seconds it has waited
        monkeypatch.setattr(preload, "torch_loaded", lambda: True)
        await wait_for(
            pilot, lambda: "loading digits and building the model" in screen.message_text
        )
        assert screen.message_text.startswith(
            "starting sgd: loading digits and building the model ("
        )
