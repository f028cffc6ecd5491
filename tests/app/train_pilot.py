"""Pilot helpers the train screen's test files share: tiny CPU runs, the app, waiting for a run."""

from __future__ import annotations

from pilot_waits import wait_for
from textual.widgets import Input

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.train import TrainScreen
from cnn_tui.core.training.train_config import TrainConfig

SIZE = (120, 40)
TINY = "conv(4,3) relu maxpool(2) flatten fc(10)"
"""410 parameters on 8x8 digits: an epoch of 256 images takes a few milliseconds on a CPU."""


def quick(**changes) -> TrainConfig:
    """A CPU run of the tiny stack on 256 digits, one epoch unless changes say more."""
    settings = {
        "model": TINY,
        "input_shape": (1, 8, 8),
        "dataset": "digits",
        "epochs": 1,
        "limit_train": 256,
        "device": "cpu",
    }
    settings.update(changes)
    return TrainConfig(**settings)


def long_run(**changes) -> TrainConfig:
    """A run far longer than any test waits for: the tests stop it."""
    return quick(epochs=5_000, **changes)


def train_app(config: TrainConfig | None = None, model: str | None = None) -> CnnTuiApp:
    return CnnTuiApp(mode="train", train_config=config, train_model=model)


def screen_of(pilot) -> TrainScreen:
    screen = pilot.app.screen
    assert isinstance(screen, TrainScreen)
    return screen


async def until_trained(pilot) -> TrainScreen:
    """Wait for the screen's run to end (and its end to be drawn)."""
    screen = screen_of(pilot)
    await wait_for(pilot, lambda: screen.worker is not None and not screen.running)
    await pilot.pause()
    return screen


async def start_and_wait(pilot) -> TrainScreen:
    """Let the screen settle, start a run with ctrl+r and wait for it to end."""
    await pilot.pause()
    await pilot.press("ctrl+r")
    return await until_trained(pilot)


async def set_field(pilot, field: str, value: str) -> None:
    screen_of(pilot).query_one(f"#train-{field}", Input).value = value
    await pilot.pause()
