"""AnswerInput: the answer field of an exercise; the footer says that enter checks it."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class AnswerInput(Input):
    BINDINGS = [
        Binding("enter", "submit", "Check", tooltip="Check the answer (focus stays here)"),
    ]
