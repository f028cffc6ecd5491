"""Pilot tests for the app-wide keys: digits switch screens only while nothing takes typed text
(F-keys always), and the footer says which and what enter does on the focused widget."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pilot_waits import wait_for
from textual import events
from textual.color import Color
from textual.command import CommandList, CommandPalette
from textual.containers import VerticalScroll
from textual.widgets import Button, Checkbox, DataTable, Footer, Input, Select

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.builder import BuilderScreen
from cnn_tui.app.screens.help import HelpScreen, help_rows
from cnn_tui.app.screens.stepper import StepperScreen
from cnn_tui.app.screens.train import TrainScreen

SIZE = (80, 24)


def footer_text(app: CnnTuiApp) -> str:
    footer = app.screen.query_one(Footer)
    return " ".join(str(child.render()) for child in footer.query("*"))


async def test_typing_a_shape_in_the_builder_never_switches_screen():
    app = CnnTuiApp(mode="builder")
    async with app.run_test(size=SIZE) as pilot:
        builder = app.screen
        assert isinstance(builder, BuilderScreen)
        field = builder.query_one("#builder-input", Input)
        field.focus()
        await pilot.pause()
        field.clear()
        await pilot.press(*"1x28x28")
        await pilot.pause()
        assert app.screen is builder
        assert field.value == "1x28x28"
        assert "f2-f7" in footer_text(app) and "1-7" not in footer_text(app)
        await pilot.press("f2")  # F-keys switch even from a field
        assert isinstance(app.screen, StepperScreen)


async def test_typing_epochs_on_train_never_switches_screen():
    app = CnnTuiApp(mode="train")
    async with app.run_test(size=SIZE) as pilot:
        train = app.screen
        assert isinstance(train, TrainScreen)
        field = train.query_one("#train-epochs", Input)
        field.focus()
        await pilot.pause()
        field.clear()
        await pilot.press("3", "0")
        await pilot.pause()
        assert app.screen is train
        assert field.value == "30"


async def test_from_a_table_a_digit_switches():
    app = CnnTuiApp(mode="builder")
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one(DataTable).focus()
        await pilot.pause()
        assert "1-7" in footer_text(app)
        await pilot.press("2")
        assert isinstance(app.screen, StepperScreen)


async def test_the_footer_names_what_enter_does():
    app = CnnTuiApp(mode="train")
    async with app.run_test(size=SIZE) as pilot:
        select = app.screen.query(Select).first()
        select.focus()
        await pilot.pause()
        assert "Open" in footer_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert select.expanded  # enter still does what it did
        await pilot.press("escape")
        button = app.screen.query(Button).first()
        button.focus()
        await pilot.pause()
        assert "Press" in footer_text(app)


# ---------------------------------------------------------------------------------------------
# help


async def test_help_at_80x24_scrolls_with_the_arrows_at_once_and_lists_app_keys_first():
    app = CnnTuiApp(mode="stepper")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        box = help_screen.query_one("#help-box", VerticalScroll)
        assert app.focused is box
        # one scroll area, nothing wider than it: every line is wrapped, none cut off
        assert not help_screen.query(DataTable)
        assert box.max_scroll_x == 0
        assert box.max_scroll_y > 0
        await pilot.press("down", "down")
        assert box.scroll_y == 2
        # the app-wide rows come first, before any of the screen's
        actions = [action for _, action, _ in help_rows(help_screen.under)]
        for action in ("Lessons", "Stepper", "Calculators", "Help", "Theme", "Quit", "palette"):
            assert actions.index(action) < actions.index("Next")
        app_rows_text = str(help_screen.query_one("#help-digits").render())
        assert "F2-F7" in app_rows_text


def test_snapshot_help_at_80x24(snap_compare):
    async def open_help(pilot):
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(CnnTuiApp(mode="stepper"), terminal_size=SIZE, run_before=open_help)


# ---------------------------------------------------------------------------------------------
# focus is unmistakable


def accent(app: CnnTuiApp) -> Color:
    return Color.parse(app.get_css_variables()["accent"])


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_the_focused_widget_has_the_accent_and_the_others_do_not(theme):
    app = CnnTuiApp(mode="train")
    async with app.run_test(size=SIZE) as pilot:
        app.theme = theme
        screen = app.screen
        start = screen.query_one("#train-start", Button)
        epochs, batch = screen.query_one("#train-epochs", Input), screen.query_one("#train-batch")
        data = screen.query_one("#train-dataset", Select)
        download = screen.query_one("#train-download", Checkbox)
        epochs.focus()
        await pilot.pause()
        assert epochs.styles.background != batch.styles.background
        start.focus()
        await pilot.pause()
        assert start.styles.background == accent(app)
        assert epochs.styles.background == batch.styles.background
        start.blur()
        await pilot.pause()
        assert start.styles.background != accent(app)  # a primary button is blue, not the accent
        data.focus()
        await pilot.pause()
        current = data.query_one("SelectCurrent")
        other = screen.query_one("#train-optimizer", Select).query_one("SelectCurrent")
        assert current.styles.background != other.styles.background
        await pilot.press("enter")
        await pilot.pause()
        overlay = data.query_one("SelectOverlay")
        assert data.expanded
        assert overlay.styles.background.a == 1  # opaque over the form beneath
        assert overlay.styles.border_top[0] != ""  # framed
        await pilot.press("escape")
        download.focus()
        await pilot.pause()
        label = download.get_component_styles("toggle--label")
        assert label.background == accent(app)


async def test_a_focused_table_cursor_has_the_accent():
    app = CnnTuiApp(mode="builder")
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(DataTable)
        table.focus()
        await pilot.pause()
        assert table.get_component_styles("datatable--cursor").background == accent(app)


# ---------------------------------------------------------------------------------------------
# the command palette


def shown_hits(app: CnnTuiApp) -> list[str]:
    hits = app.screen.query_one(CommandList)
    return [
        str(hits.get_option_at_index(i).prompt).split("\n")[0] for i in range(hits.option_count)
    ]


async def palette_find(pilot, query: str, found: Callable[[list[str]], bool]) -> list[str]:
    """Open the palette, type the query, and wait until the hits shown satisfy `found`."""
    app = pilot.app
    if not isinstance(app.screen, CommandPalette):
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
    app.screen.query_one(Input).value = ""
    await pilot.press(*query)
    await wait_for(pilot, lambda: found(shown_hits(app)))
    return shown_hits(app)


async def test_the_palette_finds_presets_networks_lessons_and_actions():
    app = CnnTuiApp(mode="stepper")
    async with app.run_test(size=(120, 40)) as pilot:
        await palette_find(pilot, "pool", lambda hits: "Stepper preset: seed-maxpool" in hits)
        await palette_find(pilot, "preset", lambda hits: "Stepper preset: seed-conv" in hits)
        await palette_find(
            pilot,
            "vgg16",
            lambda hits: "Builder preset: vgg16" in hits and "Train preset: vgg16" in hits,
        )
        # the screen's own actions, with their keys
        await palette_find(pilot, "Settings", lambda hits: "Settings (s)" in hits)
        first_lesson = app.lesson_titles()[0][1]
        await palette_find(pilot, first_lesson, lambda hits: f"Lesson: {first_lesson}" in hits)
        await palette_find(pilot, "Receptive", lambda hits: "Calculator: Receptive field" in hits)


async def test_running_a_palette_hit_opens_it():
    app = CnnTuiApp(mode="stepper")
    async with app.run_test(size=(120, 40)) as pilot:
        wanted = "Builder preset: vgg16"
        await palette_find(pilot, wanted, lambda hits: hits[:1] == [wanted])
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BuilderScreen))
        builder = app.screen
        assert isinstance(builder, BuilderScreen)
        await wait_for(pilot, lambda: builder.stack_name == "vgg16")

        wanted = "Stepper preset: seed-maxpool"
        await palette_find(pilot, wanted, lambda hits: hits[:1] == [wanted])
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StepperScreen))
        stepper = app.screen
        assert isinstance(stepper, StepperScreen)
        await wait_for(pilot, lambda: stepper.preset_name == "seed-maxpool")

        wanted = f"Lesson: {app.lesson_titles()[2][1]}"
        await palette_find(pilot, wanted, lambda hits: hits[:1] == [wanted])
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.opened.lessons is not None)
        lessons = app.opened.lessons
        assert lessons is not None
        await wait_for(pilot, lambda: lessons.lesson is not None)
        assert lessons.lesson.id == app.lesson_titles()[2][0]


# ---------------------------------------------------------------------------------------------
# keys in one burst


def burst(app: CnnTuiApp, *keys: str) -> None:
    """Post the keys to the app at once, as the terminal driver does with one read of a fast
    typist's (or tmux send-keys') bytes; pilot.press would wait for each key to be handled."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


@pytest.mark.parametrize(
    ("mode", "field_id"),
    [("calculators", "#size-w"), ("train", "#train-epochs"), ("builder", "#builder-input")],
)
async def test_keys_in_one_burst_land_in_order(mode, field_id):
    app = CnnTuiApp(mode=mode)
    async with app.run_test(size=SIZE) as pilot:
        field = app.screen.query_one(field_id, Input)
        field.focus()
        await pilot.pause()
        field.clear()
        burst(app, *"123", "backspace", "backspace", "backspace", *"1208040000")
        await wait_for(pilot, lambda: len(field.value) >= 10)
        await pilot.pause()
        assert field.value == "1208040000"
        burst(app, "left", "left", "backspace", "9", "home", "delete", "7")
        await wait_for(pilot, lambda: field.value.startswith("7"))
        await pilot.pause()
        assert field.value == "7208040900"
