"""BuilderTotals: the builder's totals under the table, shortened on a short screen."""

from __future__ import annotations

from ....core.stacks.tally import Tally
from ....core.views.report import MEMORY_NOTE, summary_totals
from ..common.result_panel import CalcResult, ResultLine

COMPACT_BELOW = 34
"""On screens shorter than this the totals leave out the memory breakdown and the output line
(the last row of the table shows the output shape), so the table keeps its height."""

TOTALS_LABEL_LIMIT = 24
"""Layer labels in the most-memory / most-params lines are clipped to this."""


class BuilderTotals(CalcResult):
    """The stack's totals (parameters, activations, MACs, memory), dimmed while stale."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.compact = False
        """Whether the totals are shortened for a short screen."""
        self.result: Tally | None = None
        """The tally shown."""

    def on_mount(self) -> None:
        self.tooltip = MEMORY_NOTE

    def fit_height(self, height: int) -> None:
        """Shorten (or lengthen) the totals for a screen this many lines high."""
        compact = height < COMPACT_BELOW
        if compact != self.compact:
            self.compact = compact
            if self.result is not None:
                self._show_lines(self.result)

    def show_tally(self, result: Tally, fields_ok: bool) -> None:
        """Show result's totals, dimmed when a layer fails or a field is unusable."""
        self.result = result
        self._show_lines(result)
        self.set_stale(result.error is not None or not fields_ok)

    def _show_lines(self, result: Tally) -> None:
        lines = summary_totals(result, label_limit=TOTALS_LABEL_LIMIT)
        if self.compact:
            lines = [(label, text) for label, text in lines if label not in ("", "output")]
        self.show([ResultLine(label, text) for label, text in lines])
