"""Pilot tests for the app shell: modes, help, theme, quitting, the palette and the CLI doors."""

from __future__ import annotations

import pytest

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.calculators import CalculatorsScreen
from cnn_tui.app.screens.help import HelpScreen, help_rows
from cnn_tui.app.screens.stepper import StepperScreen
from cnn_tui.cli import main
from cnn_tui.core.convolution.backward_presets import BACKWARD_PRESETS
from cnn_tui.core.convolution.presets import PRESETS

KNOWN = ", ".join([*PRESETS, *BACKWARD_PRESETS])

SIZE = (120, 40)


def help_table(app: CnnTuiApp) -> list[list[str]]:
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    return [[str(cell) for cell in row] for row in help_rows(screen.under)]


def step_counter(app: CnnTuiApp) -> str:
    rendered = app.screen.query_one("#step-info").render()
    return str(rendered).split("  ")[0]


# ---------------------------------------------------------------------------------------------
# modes


async def test_mode_keys_switch_screens_and_the_stepper_keeps_its_place():
    app = CnnTuiApp()
    async with app.run_test(size=SIZE) as pilot:
        stepper = app.screen
        assert isinstance(stepper, StepperScreen)
        assert stepper.preset_name == "seed-conv"
        await pilot.press("n", "n")
        assert step_counter(app) == "step 3/9"
        await pilot.press("5")
        assert isinstance(app.screen, CalculatorsScreen)
        await pilot.press("2")
        assert app.screen is stepper
        assert stepper.index == 2
        assert step_counter(app) == "step 3/9"

        await pilot.press("n")
        app.set_focus(None)
        await pilot.pause()
        await pilot.press("f5")
        assert isinstance(app.screen, CalculatorsScreen)
        app.set_focus(None)
        await pilot.pause()
        await pilot.press("f2")
        assert app.screen is stepper
        assert step_counter(app) == "step 4/9"


# ---------------------------------------------------------------------------------------------
# help, theme, quit


async def test_question_mark_and_f1_open_the_help_listing_the_stepper_keys():
    app = CnnTuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert str(app.screen.query_one("#help-title").render()) == "Keys: Stepper"
        rows = help_table(app)
        actions = [action for _, action, _ in rows]
        for action in ("Next", "Back", "Play", "Settings", "Quit", "Stepper", "Calculators"):
            assert action in actions
        by_action = {action: (keys, tooltip) for keys, action, tooltip in rows}
        assert by_action["Stepper"] == (
            "2 / f2",
            "Step through a convolution or pooling, one cell at a time",
        )
        assert by_action["Calculators"] == (
            "5 / f5",
            "Output sizes, parameter counts, receptive fields",
        )
        assert by_action["Play"] == ("space", "Play or pause the animation")
        assert by_action["Settings"] == ("s", "Show or hide the settings column")
        assert by_action["Next"][1] == "Next output cell"
        assert "n" in by_action["Next"][0].split(" / ")
        await pilot.press("escape")
        assert isinstance(app.screen, StepperScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, StepperScreen)


async def test_ctrl_t_toggles_between_dark_and_light_and_q_quits():
    app = CnnTuiApp()
    async with app.run_test(size=SIZE) as pilot:
        assert app.current_theme.dark
        await pilot.press("ctrl+t")
        assert not app.current_theme.dark
        assert app.theme == "textual-light"
        await pilot.press("ctrl+t")
        assert app.current_theme.dark
        assert app.theme == "textual-dark"
        assert app.is_running
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_the_command_palette_offers_the_modes_help_and_theme():
    app = CnnTuiApp(mode="calculators")
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, CalculatorsScreen)
        commands = list(app.get_system_commands(app.screen))
        titles = [command.title for command in commands]
        assert titles[:9] == [
            "Lessons (1)",
            "Stepper (2)",
            "Builder (3)",
            "Train (4)",
            "Calculators (5)",
            "Playground (6)",
            "Inside (7)",
            "Help (? or F1)",
            "Light / dark (ctrl+t)",
        ]
        assert "Quit" in titles
        stepper = commands[titles.index("Stepper (2)")]
        assert stepper.help == "Step through a convolution or pooling, one cell at a time"
        stepper.callback()
        await pilot.pause()
        assert isinstance(app.screen, StepperScreen)
        assert step_counter(app) == "step 1/9"
        commands[titles.index("Calculators (5)")].callback()
        await pilot.pause()
        assert isinstance(app.screen, CalculatorsScreen)


# ---------------------------------------------------------------------------------------------
# the command line opens the app


@pytest.fixture
def opened(monkeypatch) -> list[CnnTuiApp]:
    """Apps the CLI would have run, recorded instead of taking over the terminal."""
    apps: list[CnnTuiApp] = []
    monkeypatch.setattr(CnnTuiApp, "run", lambda self, *args, **kwargs: apps.append(self))
    return apps


def test_no_command_opens_the_stepper(opened):
    assert main([]) == 0
    assert [(app.initial_mode, app.stepper_preset) for app in opened] == [("stepper", None)]


def test_stepper_command_passes_the_preset(opened):
    assert main(["stepper", "--preset", "seed-maxpool"]) == 0
    assert [(app.initial_mode, app.stepper_preset) for app in opened] == [
        ("stepper", "seed-maxpool")
    ]


def test_calc_without_a_calculator_opens_the_calculators(opened):
    assert main(["calc"]) == 0
    assert [app.initial_mode for app in opened] == ["calculators"]


def test_an_unknown_stepper_preset_exits_2_naming_the_presets(capsys, opened):
    assert main(["stepper", "--preset", "nope"]) == 2
    assert opened == []
    captured = capsys.readouterr()
    assert captured.out == ""
    assert " ".join(captured.err.split()) == (
        f"cnn-tui: unknown stepper preset 'nope' (known: {KNOWN})"
    )


def test_an_unknown_stepper_preset_is_one_line_on_an_80_column_console(capsys, opened, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["stepper", "--preset", "nope"]) == 2
    assert capsys.readouterr().err == (f"cnn-tui: unknown stepper preset 'nope' (known: {KNOWN})\n")
