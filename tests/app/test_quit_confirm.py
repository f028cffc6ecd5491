"""Pilot tests for quitting: the builder's unsaved edits are never thrown away without a question;
a saved or untouched stack (and every other screen) quits at once."""

from __future__ import annotations

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.builder import BuilderScreen
from cnn_tui.app.widgets.common.quit_confirm import QuitConfirm

SIZE = (100, 30)


async def edited_builder(pilot) -> BuilderScreen:
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, BuilderScreen)
    assert not screen.has_unsaved_edits
    await pilot.press("escape", "down", "d")  # delete the first layer
    await pilot.pause()
    assert screen.has_unsaved_edits
    assert screen.sub_title == "seed-mnist, edited"
    return screen


async def test_quitting_with_unsaved_builder_edits_asks_first():
    app = CnnTuiApp(mode="builder", builder_stack="seed-mnist")
    async with app.run_test(size=SIZE) as pilot:
        screen = await edited_builder(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitConfirm)
        text = str(app.screen.query_one("#quit-confirm-text").render())
        assert text.startswith("The builder's stack 'seed-mnist' has unsaved edits.")
        await pilot.press("escape")  # stay: the edits are still there
        await pilot.pause()
        assert app.screen is screen and app.is_running
        assert screen.has_unsaved_edits
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitConfirm)
        await pilot.press("q")  # quit anyway
        await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running


async def test_the_stay_button_is_focused_so_enter_stays():
    app = CnnTuiApp(mode="builder", builder_stack="seed-mnist")
    async with app.run_test(size=SIZE) as pilot:
        await edited_builder(pilot)
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, BuilderScreen) and app.is_running


async def test_an_untouched_stack_quits_at_once_from_any_screen():
    app = CnnTuiApp(mode="builder", builder_stack="seed-mnist")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("escape", "5")  # calculators; the builder stays open behind
        await pilot.pause()
        await pilot.press("escape", "q")
        await pilot.pause()
        assert not app.is_running


async def test_unsaved_edits_are_asked_about_from_another_mode_too():
    app = CnnTuiApp(mode="builder", builder_stack="seed-mnist")
    async with app.run_test(size=SIZE) as pilot:
        await edited_builder(pilot)
        await pilot.press("escape", "2")  # the stepper
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitConfirm)
        await pilot.click("#quit-confirm-quit")
        await pilot.pause()
        assert not app.is_running
