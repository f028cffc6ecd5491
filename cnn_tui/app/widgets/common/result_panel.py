"""CalcResult: labelled result lines (label in bold, figures after), dimmed while stale."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from textual.content import Content
from textual.events import Resize
from textual.widgets import Static


@dataclass(frozen=True)
class ResultLine:
    """One line of a result: a bold label and its text."""

    label: str
    """'output size'; empty for a continuation line or an unlabelled note."""
    text: str
    """The figures, e.g. '(32 - 5 + 2*0) / 1 + 1 = 28'."""
    tone: str = ""
    """'' plain, 'note' muted, 'warning' for what the numbers leave out."""


TONE_STYLES = {"": "", "note": "$text-muted", "warning": "$text-warning"}

MIN_WRAP_WIDTH = 20
"""Narrower than this after the labels, long lines are left to the terminal to wrap."""


class CalcResult(Static):
    """The last good result of a calculator; `set_stale(True)` dims it while the form is wrong."""

    DEFAULT_CSS = """
    CalcResult {
        height: auto;
        width: 1fr;
    }
    CalcResult.-stale {
        text-opacity: 50%;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self.lines: tuple[ResultLine, ...] = ()
        """What is shown now."""
        self._wrapped_width = 0

    @property
    def text(self) -> str:
        """The shown lines as plain text, labels padded as on screen."""
        width = self._label_width()
        return "\n".join(
            f"{line.label:<{width}}{line.text}" if width else line.text for line in self.lines
        )

    def _label_width(self) -> int:
        longest = max((len(line.label) for line in self.lines), default=0)
        return longest + 2 if longest else 0

    def show(self, lines: Sequence[ResultLine]) -> None:
        """Replace the lines and mark the result fresh."""
        self.lines = tuple(lines)
        self._fill()
        self.set_stale(False)

    def _on_resize(self, event: Resize) -> None:
        if self.lines and self.content_size.width != self._wrapped_width:
            self._fill()

    def _fill(self) -> None:
        """Draw the lines; a line too long for the width wraps under its own text, not under
        the label (a long explanation of uncovered cells stays readable at 80 columns)."""
        self._wrapped_width = self.content_size.width
        width = self._label_width()
        room = self._wrapped_width - width
        parts: list[Content] = []
        for line in self.lines:
            label = Content.styled(f"{line.label:<{width}}", "bold") if width else Content("")
            style = TONE_STYLES.get(line.tone, "")
            chunks = [line.text]
            if room >= MIN_WRAP_WIDTH and len(line.text) > room:
                indent = line.text[: len(line.text) - len(line.text.lstrip(" "))]
                chunks = textwrap.wrap(line.text, room, subsequent_indent=indent) or [line.text]
            parts.append(label + Content.styled(chunks[0], style))
            parts.extend(Content(" " * width) + Content.styled(c, style) for c in chunks[1:])
        self.update(Content("\n").join(parts))

    def set_stale(self, stale: bool) -> None:
        """Dim the lines: they belong to values the form no longer holds."""
        self.set_class(stale, "-stale")
