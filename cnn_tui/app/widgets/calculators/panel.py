"""CalcPanel: one calculator tab, with what its panels share: reading a field and showing a
result (or its message, with the last good result dimmed)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.widgets import Input, TabPane

from ....core.views.fields import FieldError
from ..common.message import CalcMessage
from ..common.result_panel import CalcResult, ResultLine

SYNC_LAYER_LIMIT = 600
"""Stacks up to this many layers are worked out at once, table included: resnet152 (515
layers, the biggest preset) takes about 25 ms, 600 plain convs about 35 ms. Bigger ones go to
a worker so typing stays smooth."""


class CalcPanel(TabPane):
    """A calculator tab; its subclasses declare the fields (compose_panel) and work out the
    figures (panel_built, then as the fields change).

    A tab composes its fields only once built: the screen builds the tab it opens on, and the
    others when first shown, so the screen paints sooner."""

    built = False
    """Whether its fields are composed."""

    def compose_panel(self) -> ComposeResult:
        """The tab's fields and results."""
        yield from ()

    def panel_built(self) -> None:
        """Called once the fields are mounted: show the first figures."""

    def eager(self) -> CalcPanel:
        """Build it as soon as it is mounted (the tab shown first); returns itself."""
        self.built = True
        return self

    def compose(self) -> ComposeResult:
        if self.built:
            yield from self.compose_panel()

    def on_mount(self) -> None:
        if self.built:
            self.panel_built()

    async def build(self) -> None:
        """Compose and mount the fields, if not done yet."""
        if self.built:
            return
        self.built = True
        await self.recompose()
        self.panel_built()

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
