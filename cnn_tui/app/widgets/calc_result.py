"""CalcResult: labelled result lines (label in bold, figures after), dimmed while stale."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.content import Content
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
        width = self._label_width()
        parts: list[Content] = []
        for line in self.lines:
            label = Content.styled(f"{line.label:<{width}}", "bold") if width else Content("")
            parts.append(label + Content.styled(line.text, TONE_STYLES.get(line.tone, "")))
        self.update(Content("\n").join(parts))
        self.set_stale(False)

    def set_stale(self, stale: bool) -> None:
        """Dim the lines: they belong to values the form no longer holds."""
        self.set_class(stale, "-stale")
