"""HelpScreen: every key binding of the screen underneath, with what it does."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static


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
        with VerticalScroll(id="help-box"):
            yield Static(
                f"Keys: {self.under.title or self.under.__class__.__name__}", id="help-title"
            )
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Static(
                "escape closes this help; ctrl+p opens the command palette", id="help-hint"
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "action", "what it does")
        for row in help_rows(self.under):
            table.add_row(*row)

    def action_dismiss(self) -> None:
        self.dismiss()


def help_rows(screen: Screen) -> list[tuple[Text, str, str]]:
    """(keys, description, tooltip) per action active on the screen, its keys joined: '2 / f2'."""
    grouped: dict[tuple[int, str], tuple[list[str], str, str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description:
            continue
        keys, _, _ = grouped.setdefault(
            (id(active.node), binding.action), ([], binding.description, binding.tooltip or "")
        )
        keys.append(screen.app.get_key_display(binding))
    return [
        (Text(" / ".join(keys), style="bold"), description, tooltip)
        for keys, description, tooltip in grouped.values()
    ]
