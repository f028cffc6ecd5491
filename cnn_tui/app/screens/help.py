"""HelpScreen: the app-wide keys, then every key binding of the screen underneath, with what it
does, as wrapped rows in one scroll area that the arrow keys move at once."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ..keys import DIGITS_NOTE, MODES_AVAILABLE

HIDDEN_ACTIONS = frozenset({"digit_mode", "fkey_mode", "switch_mode", "enter_focused"})
"""App actions the help lists its own way (the mode rows) or not at all (enter's footer word)."""

HelpRow = tuple[Text, str, str]
"""(keys, action, what it does)."""


class HelpScreen(ModalScreen[None]):
    """A modal list of the keys active on the screen it was opened from."""

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", tooltip="Back to the screen"),
    ]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under
        """The screen whose keys are listed."""

    def compose(self) -> ComposeResult:
        name = self.under.title or self.under.__class__.__name__
        everywhere, here = app_rows(self.under), screen_rows(self.under)
        with VerticalScroll(id="help-box"):
            yield Static(f"Keys: {name}", id="help-title", markup=False)
            yield Static(rows_table(everywhere), id="help-app")
            yield Static(DIGITS_NOTE, id="help-digits", markup=False)
            yield Static(f"On {name}", classes="help-section", markup=False)
            yield Static(rows_table(here), id="help-screen")
            yield Static(
                "escape closes this help; arrows, page up/down scroll", id="help-hint", markup=False
            )

    def on_mount(self) -> None:
        self.query_one("#help-box", VerticalScroll).focus()

    def action_dismiss(self) -> None:
        self.dismiss()


def rows_table(rows: list[HelpRow]) -> Table:
    """Key, action and what it does; the last column wraps to the width there is."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(no_wrap=True, min_width=8)
    table.add_column(style="bold", no_wrap=True, min_width=11)
    table.add_column(ratio=1, overflow="fold")
    for keys, action, tooltip in rows:
        table.add_row(keys, Text(action), Text(tooltip))
    return table


def app_rows(screen: Screen) -> list[HelpRow]:
    """The keys that work on every screen: the modes, then help, theme, palette and quit."""
    rows: list[HelpRow] = [
        (Text(mode.keys, style="bold"), mode.title, mode.help) for mode in MODES_AVAILABLE
    ]
    return rows + _grouped(screen, app_level=True)


def screen_rows(screen: Screen) -> list[HelpRow]:
    """The keys of the screen and its widgets."""
    return _grouped(screen, app_level=False)


def help_rows(screen: Screen) -> list[HelpRow]:
    """(keys, description, tooltip) per action active on the screen, its keys joined: '2 / f2';
    the app-wide rows first."""
    return app_rows(screen) + screen_rows(screen)


def _grouped(screen: Screen, app_level: bool) -> list[HelpRow]:
    grouped: dict[tuple[int, str], tuple[list[str], str, str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or (active.node is screen.app) != app_level:
            continue
        if app_level and binding.action.split("(")[0] in HIDDEN_ACTIONS:
            continue
        keys, _, _ = grouped.setdefault(
            (id(active.node), binding.action), ([], binding.description, binding.tooltip or "")
        )
        keys.append(screen.app.get_key_display(binding))
    return [
        (Text(" / ".join(keys), style="bold"), description, tooltip)
        for keys, description, tooltip in grouped.values()
    ]
