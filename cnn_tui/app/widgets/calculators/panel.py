"""CalcPanel: one calculator tab, with what its panels share: reading a field and showing a
result (or its message, with the last good result dimmed)."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input, TabPane

from ....core.views.fields import FieldError
from ..common.message import CalcMessage
from ..common.result_panel import CalcResult, ResultLine

SYNC_LAYER_LIMIT = 600
"""Stacks up to this many layers are worked out at once, table included: resnet152 (515
layers, the biggest preset) takes about 25 ms, 600 plain convs about 35 ms. Bigger ones go to
a worker so typing stays smooth."""


class CalcPanel(TabPane):
    """A calculator tab; its subclasses declare the fields and work out the figures."""

    def _show_result(self, form: str, compute: Callable[[], list[ResultLine]]) -> None:
        """Show a form's result, or its message with the last good result dimmed."""
        message = self.query_one(f"#{form}-message", CalcMessage)
        result = self.query_one(f"#{form}-result", CalcResult)
        try:
            lines = compute()
        except FieldError as exc:
            message.show(str(exc))
            result.set_stale(True)
            return
        message.clear()
        result.show(lines)

    def _text(self, input_id: str) -> str:
        return self.query_one(f"#{input_id}", Input).value
