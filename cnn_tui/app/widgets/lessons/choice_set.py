"""ChoiceSet: the options of a 'choose one' exercise; enter picks the highlighted option and
asks for it to be checked (space only picks it)."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import RadioSet


class ChoiceSet(RadioSet):
    BINDINGS = [
        Binding("enter", "pick_and_check", "Check", tooltip="Pick this option and check it"),
    ]

    class Picked(Message):
        """Enter on an option: it is picked, and the card checks it (index: 0-based)."""

        def __init__(self, choice_set: ChoiceSet, index: int) -> None:
            super().__init__()
            self.choice_set = choice_set
            self.index = index

    def action_pick_and_check(self) -> None:
        index = self._selected
        if index is None:
            index = self.pressed_index
        if index is not None and index >= 0 and not self._nodes[index].value:
            self.action_toggle_button()
        # the index goes with the message: the button's own Changed may arrive after it
        self.post_message(self.Picked(self, -1 if index is None else index))
