"""ChoiceButton: a radio button whose label wraps onto more lines instead of being cut off."""

from __future__ import annotations

import math

from textual.geometry import Size
from textual.widgets import RadioButton


class ChoiceButton(RadioButton):
    DEFAULT_CSS = """
    ChoiceButton {
        width: 1fr;
        height: auto;
        text-wrap: wrap;
        text-overflow: fold;
    }
    """

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # the button (3 cells and a space) and the label share the lines
        used = self._button.cell_length + 1 + self._label.cell_length
        return max(1, math.ceil(used / max(width, 1)))
