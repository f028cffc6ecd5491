"""QuitConfirm: asks before quitting would throw away the builder's unsaved stack."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ....core.plain_text import visible


class QuitConfirm(ModalScreen[bool]):
    """Quit anyway (True) or stay (False): the stack can still be saved with ctrl+s."""

    DEFAULT_CSS = """
    QuitConfirm {
        align: center middle;
    }
    QuitConfirm > #quit-confirm-box {
        width: 60;
        max-width: 100%;
        height: auto;
        border: thick $warning 60%;
        background: $surface;
        padding: 1 2;
    }
    QuitConfirm #quit-confirm-buttons {
        height: auto;
        margin-top: 1;
    }
    QuitConfirm #quit-confirm-buttons > Button {
        margin-right: 2;
    }
    """

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("q,y", "quit_anyway", "Quit", tooltip="Quit and lose the edits", id="quit-anyway"),
        Binding("escape,n", "stay", "Stay", tooltip="Back to cnn-tui", id="quit-stay"),
    ]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what
        """What would be lost, e.g. "the builder's stack 'resnet18, edited'"."""

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-confirm-box"):
            yield Static(
                # `what` names the stack as its file does: control characters shown, not sent
                visible(
                    f"{self.what} has unsaved edits. Quit and lose them? (esc stays: then ctrl+s "
                    "in the builder saves them)"
                ),
                id="quit-confirm-text",
                markup=False,
            )
            with Horizontal(id="quit-confirm-buttons"):
                yield Button("Stay", variant="primary", compact=True, id="quit-confirm-stay")
                yield Button("Quit anyway", variant="error", compact=True, id="quit-confirm-quit")

    def on_mount(self) -> None:
        self.query_one("#quit-confirm-stay", Button).focus()

    @on(Button.Pressed, "#quit-confirm-quit")
    def action_quit_anyway(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#quit-confirm-stay")
    def action_stay(self) -> None:
        self.dismiss(False)
