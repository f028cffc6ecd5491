"""RecoveryOffer: at start, offers to reopen the builder stack a signal kept from being lost."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ....core.plain_text import visible


class RecoveryOffer(ModalScreen[bool]):
    """Reopen the kept stack in the builder (True) or set its file aside (False)."""

    DEFAULT_CSS = """
    RecoveryOffer {
        align: center middle;
    }
    RecoveryOffer > #recovery-offer-box {
        width: 64;
        max-width: 100%;
        height: auto;
        border: thick $primary 60%;
        background: $surface;
        padding: 1 2;
    }
    RecoveryOffer #recovery-offer-buttons {
        height: auto;
        margin-top: 1;
    }
    RecoveryOffer #recovery-offer-buttons > Button {
        margin-right: 2;
    }
    """

    BINDINGS: ClassVar[list[Binding]] = [
        Binding(
            "r,y",
            "reopen",
            "Reopen",
            tooltip="Open the kept stack in the builder, unsaved",
            id="recovery-reopen",
        ),
        Binding(
            "escape,n",
            "set_aside",
            "Not now",
            tooltip="Leave it: its file is set aside, and the builder can still open it",
            id="recovery-set-aside",
        ),
    ]

    def __init__(self, what: str, file: str) -> None:
        super().__init__()
        self.what = what
        """The kept stack, e.g. "the stack 'seed-mnist' (from nets/mine.json)"."""
        self.file = file
        """The recovery file it is kept in."""

    def compose(self) -> ComposeResult:
        with Vertical(id="recovery-offer-box"):
            yield Static(
                # names come from files: control characters shown, never sent; no markup
                visible(
                    f"When cnn-tui was last stopped by a signal, {self.what} had unsaved edits; "
                    f"they were kept in {self.file}. Reopen it in the builder? (esc leaves it: "
                    "the file is set aside, and the builder can open it later)"
                ),
                id="recovery-offer-text",
                markup=False,
            )
            with Horizontal(id="recovery-offer-buttons"):
                yield Button("Reopen", variant="primary", compact=True, id="recovery-offer-reopen")
                yield Button("Not now", compact=True, id="recovery-offer-set-aside")

    def on_mount(self) -> None:
        self.query_one("#recovery-offer-reopen", Button).focus()

    @on(Button.Pressed, "#recovery-offer-reopen")
    def action_reopen(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#recovery-offer-set-aside")
    def action_set_aside(self) -> None:
        self.dismiss(False)
