"""CalcMessage: the one-line inline message under a calculator form (hidden when empty)."""

from __future__ import annotations

from textual.widgets import Static

from ....core.plain_text import visible


class CalcMessage(Static):
    """Says what is wrong with the form, naming the field; hidden while all is well."""

    DEFAULT_CSS = """
    CalcMessage {
        height: auto;
        width: 1fr;
        display: none;
        &.-shown {
            display: block;
        }
        &.-error {
            color: $text-error;
            text-style: bold;
        }
        &.-info {
            color: $text-muted;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", markup=False, id=id, classes=classes)
        self.text = ""
        """The message shown now; empty when hidden."""

    def show(self, text: str, tone: str = "error") -> None:
        """Show text as an 'error' (bold, error colour) or 'info' (muted) line."""
        # messages quote typed text and file names: control characters shown as escapes
        self.text = visible(text)
        self.update(self.text)
        self.set_class(bool(text), "-shown")
        self.set_class(tone == "error", "-error")
        self.set_class(tone == "info", "-info")

    def clear(self) -> None:
        self.show("")
