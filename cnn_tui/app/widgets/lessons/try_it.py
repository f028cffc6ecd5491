"""TryItCard: a 'Try it' block: what to look at, and a button that opens the screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from ....core.course.lessons import TryIt
from ....core.plain_text import visible

SCREEN_TITLES = {
    "stepper": "Stepper",
    "builder": "Builder",
    "calculators": "Calculators",
    "train": "Train",
    "playground": "Playground",
    "inside": "Inside",
}


class TryItCard(Vertical):
    """The button on its own line (a long target stays readable), the text under it."""

    DEFAULT_CSS = """
    TryItCard {
        height: auto;
        margin: 1 0;
    }
    TryItCard Button {
        width: auto;
        max-width: 100%;
    }
    TryItCard .try-it-text {
        width: 1fr;
        height: auto;
        padding: 0 1;
        color: $foreground-muted;
    }
    """

    class Open(Message):
        def __init__(self, try_it: TryIt) -> None:
            super().__init__()
            self.try_it = try_it

    def __init__(self, try_it: TryIt) -> None:
        super().__init__(classes="try-it")
        self.try_it = try_it

    def compose(self) -> ComposeResult:
        where = SCREEN_TITLES[self.try_it.screen]
        label = f"Try it: {where}" + (f" · {self.try_it.target}" if self.try_it.target else "")
        # a Button parses a str label as markup: the lesson's target is plain Content
        yield Button(Content(visible(label)), variant="success", classes="try-it-open")
        yield Static(visible(self.try_it.text, keep="\n"), classes="try-it-text", markup=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Open(self.try_it))
