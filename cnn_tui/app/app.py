"""CnnTuiApp: the modes (stepper, builder, calculators), app-wide keys, help and the palette."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from .screens.builder import BuilderScreen
from .screens.calculators import CalculatorsScreen
from .screens.help import HelpScreen
from .screens.stepper import StepperScreen


@dataclass(frozen=True)
class Mode:
    """One top-level screen the student can switch to."""

    name: str
    """The mode's key in the app, e.g. 'stepper'."""
    title: str
    number: int
    """Its number key (and F-key); fixed across releases so muscle memory holds."""
    help: str


MODES_AVAILABLE: tuple[Mode, ...] = (
    Mode("stepper", "Stepper", 2, "Step through a convolution or pooling, one cell at a time"),
    Mode(
        "builder",
        "Builder",
        3,
        "Assemble a layer stack and watch its shapes, parameters and memory add up",
    ),
    Mode("calculators", "Calculators", 5, "Output sizes, parameter counts, receptive fields"),
)
"""Lessons (1) and Train (4) join when they exist: no placeholder screens."""

MODE_KEYS = Binding.Group("Mode")
"""The mode keys share one footer entry: '2 3 5 Mode'."""

LIGHT_THEME = "textual-light"
DARK_THEME = "textual-dark"


class CnnTuiApp(App[None]):
    """The cnn-tui learning sandbox."""

    TITLE = "cnn-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        *(
            Binding(
                f"{mode.number},f{mode.number}",
                f"switch_mode('{mode.name}')",
                mode.title,
                tooltip=mode.help,
                id=f"mode-{mode.name}",
                group=MODE_KEYS,
            )
            for mode in MODES_AVAILABLE
        ),
        Binding("question_mark,f1", "help", "Help", tooltip="Every key of this screen", id="help"),
        Binding(
            "ctrl+t", "toggle_theme", "Theme", tooltip="Switch light/dark", id="theme", show=False
        ),
        Binding("q,ctrl+q", "quit", "Quit", tooltip="Leave cnn-tui", id="quit"),
    ]

    def __init__(
        self,
        mode: str = "stepper",
        stepper_preset: str | None = None,
        builder_stack: str | None = None,
    ) -> None:
        super().__init__()
        self.initial_mode = mode
        """The mode shown first."""
        self.stepper_preset = stepper_preset
        """The stepper preset to open with, if one was asked for."""
        self.builder_stack = builder_stack
        """The builder's first stack (a preset name, spec or .json file), if one was asked for."""
        screens: dict[str, Callable[[], Screen]] = {
            "stepper": lambda: StepperScreen(preset=self.stepper_preset),
            "builder": lambda: BuilderScreen(stack=self.builder_stack),
            "calculators": CalculatorsScreen,
        }
        for mode_info in MODES_AVAILABLE:
            self.add_mode(mode_info.name, screens[mode_info.name])

    def on_mount(self) -> None:
        self.switch_mode(self.initial_mode)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(self.screen))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.current_theme.dark else DARK_THEME

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for mode in MODES_AVAILABLE:
            yield SystemCommand(
                f"{mode.title} ({mode.number})",
                mode.help,
                lambda name=mode.name: self.switch_mode(name),
            )
        yield SystemCommand("Help (? or F1)", "Every key of the current screen", self.action_help)
        yield SystemCommand("Light / dark (ctrl+t)", "Switch theme", self.action_toggle_theme)
        yield from super().get_system_commands(screen)
