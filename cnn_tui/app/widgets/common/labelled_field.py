"""CalcField: one labelled, compact input of a calculator form, with an optional hint after it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label


class CalcField(Horizontal):
    """A label, a one-line input and a muted hint, side by side on one row."""

    DEFAULT_CSS = """
    CalcField {
        width: auto;
        height: 1;
        margin-right: 2;
    }
    CalcField > .calc-field--label {
        width: auto;
        padding-right: 1;
        text-style: bold;
    }
    CalcField > Input {
        width: 8;
    }
    CalcField > .calc-field--hint {
        width: auto;
        padding-left: 2;
        color: $text-muted;
    }
    """

    def __init__(
        self,
        label: str,
        value: str = "",
        *,
        input_id: str,
        hint: str = "",
        placeholder: str = "",
        tooltip: str = "",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.label = label
        """What the field is called on screen, e.g. 'F kernel'."""
        self.value = value
        """The value it starts with."""
        self.input_id = input_id
        """The id of the Input inside, for `@on(Input.Changed, '#...')` and tests."""
        self.hint = hint
        """A short muted note after the input; empty for none."""
        self.placeholder = placeholder
        """Shown in the input while it is empty."""
        self.tooltip_text = tooltip or hint
        """Hover text on the input."""

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="calc-field--label")
        field = Input(
            self.value,
            placeholder=self.placeholder,
            compact=True,
            select_on_focus=True,
            id=self.input_id,
        )
        if self.tooltip_text:
            field.tooltip = self.tooltip_text
        yield field
        if self.hint:
            yield Label(self.hint, classes="calc-field--hint")
