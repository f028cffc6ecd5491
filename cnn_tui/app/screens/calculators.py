"""CalculatorsScreen: output sizes, parameter counts, receptive fields and whole-model summaries."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Input, Select, TabbedContent, Tabs

from ..widgets.calculators.field_panel import ReceptiveFieldPanel
from ..widgets.calculators.panel import CalcPanel
from ..widgets.calculators.params_panel import ParamsPanel
from ..widgets.calculators.size_panel import SizePanel
from ..widgets.calculators.summary_panel import SummaryPanel
from ..widgets.common.steady_footer import SteadyFooter

TAB_IDS: tuple[str, ...] = ("tab-size", "tab-params", "tab-field", "tab-summary")
"""The calculator tabs, left to right."""


class CalculatorsScreen(Screen):
    """Type numbers or a stack; every figure and formula updates as you type."""

    TITLE = "Calculators"
    BINDINGS = [
        Binding(
            "left_square_bracket",
            "switch_tab(-1)",
            "Prev tab",
            tooltip="The calculator tab to the left",
            id="calc-previous-tab",
        ),
        Binding(
            "right_square_bracket",
            "switch_tab(1)",
            "Next tab",
            tooltip="The calculator tab to the right",
            id="calc-next-tab",
        ),
        Binding(
            "escape",
            "leave_field",
            "Leave field",
            tooltip="Leave the input, so [ and ] switch tabs again",
            id="calc-leave-field",
        ),
    ]

    # -----------------------------------------------------------------------------------------
    # layout

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="calc-tabs"):
            yield SizePanel("Conv / pool size", id="tab-size").eager()
            yield ParamsPanel("Parameters", id="tab-params")
            yield ReceptiveFieldPanel("Receptive field", id="tab-field")
            yield SummaryPanel("Summary", id="tab-summary")
        yield SteadyFooter()

    @on(TabbedContent.TabActivated, "#calc-tabs")
    async def build_shown_tab(self, event: TabbedContent.TabActivated) -> None:
        """A tab's fields are built when it is first shown."""
        if isinstance(event.pane, CalcPanel):
            await event.pane.build()

    # -----------------------------------------------------------------------------------------
    # keys

    def action_switch_tab(self, step: int) -> None:
        tabs = self.query_one("#calc-tabs", TabbedContent)
        current = TAB_IDS.index(tabs.active) if tabs.active in TAB_IDS else 0
        tabs.active = TAB_IDS[(current + step) % len(TAB_IDS)]
        focused = self.focused
        pane = tabs.active_pane
        if focused is not None and pane is not None and pane not in focused.ancestors:
            # the old pane is hidden now: keep the keys working from the tab strip
            self.action_leave_field()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_field":
            # only offered (and shown in the footer) while a field has the keys
            return isinstance(self.focused, Input | Select)
        return True

    def action_leave_field(self) -> None:
        self.query_one("#calc-tabs", TabbedContent).query_one(Tabs).focus()
