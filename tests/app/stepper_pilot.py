"""Pilot helpers the stepper screen's test files share: its screen, Statics, grids and fields."""

from __future__ import annotations

from textual.widgets import Input, Static

from cnn_tui.app.screens.stepper import StepperScreen
from cnn_tui.app.widgets.stepper.number_grid import NumberGrid


def screen_of(pilot) -> StepperScreen:
    screen = pilot.app.screen
    assert isinstance(screen, StepperScreen)
    return screen


def text(pilot, widget_id: str) -> str:
    """The plain text a Static shows (markup removed)."""
    rendered = screen_of(pilot).query_one(f"#{widget_id}", Static).render()
    return getattr(rendered, "plain", str(rendered))


def grid(pilot, grid_id: str) -> NumberGrid:
    return screen_of(pilot).query_one(f"#{grid_id}", NumberGrid)


async def type_into(pilot, input_id: str, value: str) -> None:
    """Focus a settings field, clear it with keys and type value one key at a time."""
    widget = screen_of(pilot).query_one(f"#{input_id}", Input)
    widget.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *value)
    await pilot.pause()
