"""Pilot helpers the calculators screen's test files share: its screen and setting a field."""

from __future__ import annotations

from textual.widgets import Input

from cnn_tui.app.screens.calculators import CalculatorsScreen


def screen_of(pilot) -> CalculatorsScreen:
    screen = pilot.app.screen
    assert isinstance(screen, CalculatorsScreen)
    return screen


async def set_value(pilot, input_id: str, value: str) -> None:
    screen_of(pilot).query_one(f"#{input_id}", Input).value = value
    await pilot.pause()
