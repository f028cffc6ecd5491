"""SummaryPanel: the summary tab, a whole model's shapes, parameters and memory for a batch,
number type and optimizer (big stacks tallied in a worker)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select
from textual.worker import get_current_worker

from ....core.stacks.stack import Stack
from ....core.stacks.tally import DTYPE_BYTES, OPTIMIZER_STATE, Tally, tally
from ....core.views.calculator_inputs import read_shape, read_stack
from ....core.views.fields import FieldError, read_whole
from ....core.views.report import MEMORY_NOTE, summary_totals
from ..common.labelled_field import CalcField
from ..common.message import CalcMessage
from ..common.result_panel import CalcResult, ResultLine
from ..common.tally_table import TallyTable
from .panel import SYNC_LAYER_LIMIT, CalcPanel

TOTALS_LABEL_LIMIT = 24
"""Layer labels in the most-memory / most-params lines are clipped to this, so the lines fit
80 columns (the table above shows each label in full where there is room)."""

DEFAULT_MODEL = "seed-mnist"


class SummaryPanel(CalcPanel):
    """A model, input, batch, dtype and optimizer; its table and totals update as you type."""

    @dataclass
    class TallyComputed(Message):
        """A worker finished tallying a big stack."""

        serial: int
        """Which request it answers; older answers are dropped."""
        result: Tally
        """The tally, with its error when a layer does not fit."""

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(title, id=id)
        self.summary_serial = 0
        """Counts requests, so a late worker answer cannot overwrite a newer one."""

    def compose_panel(self) -> ComposeResult:
        with Vertical(id="summary-form", classes="calc-form"):
            with Horizontal(classes="calc-row"):
                yield CalcField(
                    "model",
                    DEFAULT_MODEL,
                    input_id="summary-model",
                    placeholder="a preset (vgg16) or layers",
                    tooltip="a preset name, a one-line spec or a stack .json file",
                    classes="calc-wide",
                )
                yield CalcField(
                    "input",
                    "",
                    input_id="summary-input",
                    placeholder="its own",
                    tooltip="input shape, e.g. 3x224x224; empty: the preset's own",
                )
            with Horizontal(classes="calc-row"):
                yield CalcField("batch", "1", input_id="summary-batch", tooltip="images")
                yield Label("dtype", classes="calc-select-label")
                yield Select(
                    [(name, name) for name in DTYPE_BYTES],
                    value="fp32",
                    allow_blank=False,
                    compact=True,
                    id="summary-dtype",
                )
                yield Label("optimizer", classes="calc-select-label")
                yield Select(
                    [(name, name) for name in OPTIMIZER_STATE],
                    value="sgd",
                    allow_blank=False,
                    compact=True,
                    id="summary-optimizer",
                )
        yield CalcMessage(id="summary-message")
        yield TallyTable(id="summary-table")
        yield CalcResult(id="summary-totals")

    def panel_built(self) -> None:
        self.query_one("#summary-totals", CalcResult).tooltip = MEMORY_NOTE
        sizes = ", ".join(f"{name} {size}" for name, size in DTYPE_BYTES.items())
        self.query_one("#summary-dtype", Select).tooltip = f"bytes per number: {sizes}"
        state = ", ".join(f"{name} {extra}" for name, extra in OPTIMIZER_STATE.items())
        optimizer = self.query_one("#summary-optimizer", Select)
        optimizer.tooltip = f"extra numbers kept per parameter: {state}"
        self.recompute_summary()

    @on(Input.Changed, "#summary-form Input")
    @on(Select.Changed, "#summary-form Select")
    def recompute_summary(self, event: Message | None = None) -> None:
        if event is not None:
            event.stop()
        self.summary_serial += 1
        message = self.query_one("#summary-message", CalcMessage)
        table = self.query_one("#summary-table", TallyTable)
        totals = self.query_one("#summary-totals", CalcResult)
        try:
            batch = read_whole("batch", self._text("summary-batch"))
            shape = read_shape("input shape", self._text("summary-input"))
            stack, layers = read_stack("model", self._text("summary-model"), shape)
        except FieldError as exc:
            message.show(str(exc))
            table.set_stale(True)
            totals.set_stale(True)
            return
        dtype = str(self.query_one("#summary-dtype", Select).value)
        optimizer = str(self.query_one("#summary-optimizer", Select).value)
        if layers > SYNC_LAYER_LIMIT:
            message.show(f"counting {layers:,} layers...", "info")
            table.set_stale(True)
            totals.set_stale(True)
            self.tally_in_background(self.summary_serial, stack, batch, dtype, optimizer)
            return
        self._show_tally(tally(stack, batch=batch, dtype=dtype, optimizer=optimizer))

    def _show_tally(self, result: Tally) -> None:
        message = self.query_one("#summary-message", CalcMessage)
        self.query_one("#summary-table", TallyTable).show_tally(result)
        self.query_one("#summary-totals", CalcResult).show(
            [
                ResultLine(label, text)
                for label, text in summary_totals(result, label_limit=TOTALS_LABEL_LIMIT)
            ]
        )
        if result.error is not None:
            # the rows that fit stay on screen above the layer that does not
            message.show(result.error.describe())
        else:
            message.clear()

    @work(thread=True, exclusive=True, exit_on_error=False, group="calc-summary")
    def tally_in_background(
        self, serial: int, stack: Stack, batch: int, dtype: str, optimizer: str
    ) -> None:
        result = tally(stack, batch=batch, dtype=dtype, optimizer=optimizer)
        if not get_current_worker().is_cancelled:
            self.post_message(self.TallyComputed(serial, result))

    @on(TallyComputed)
    def show_background_tally(self, event: TallyComputed) -> None:
        event.stop()
        if event.serial == self.summary_serial:
            self._show_tally(event.result)
