"""BuilderMessage: the builder's message line, what the last action did and the failing layer."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from ....core.plain_text import visible


class BuilderMessage(Static):
    """The note of the last action (or why it could not be done), then, while a layer does not
    fit, that layer's complaint; both shown as plain text."""

    @dataclass
    class Note(Message):
        """A note for the message line from a builder widget: what it did, or why not."""

        text: str
        tone: str = "info"
        """'info' or 'error'."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.note = ("", "info")
        """What the last action did (or why it could not), with its tone: 'info' or 'error'."""
        self.error = ""
        """Why the failing layer does not fit; '' while every layer fits."""

    def say(self, text: str, tone: str = "info") -> None:
        """Set the note (what happened, or why not) and show it."""
        self.note = (text, tone)
        self._show()

    def show_error(self, error: str) -> None:
        """Set the failing layer's complaint ('' for none) and show it."""
        self.error = error
        self._show()

    def _show(self) -> None:
        text, tone = self.note
        parts: list[Content] = []
        # Content.styled never parses markup; visible() keeps control characters off the screen
        if text:
            parts.append(
                Content.styled(visible(text), "$text-error bold" if tone == "error" else "")
            )
        if self.error:
            parts.append(Content.styled(visible(self.error), "$text-error bold"))
        self.update(Content("  ·  ").join(parts))

    @property
    def text(self) -> str:
        """The message line as plain text."""
        return str(self.render())
