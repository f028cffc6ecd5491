"""ReceptiveFieldPanel: the receptive field tab, each layer's field, jump and start for a typed
stack (big stacks traced in a worker)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from ....core.stacks.receptive_field import FieldRow, receptive_fields
from ....core.stacks.shapes import StackError, format_shape
from ....core.stacks.stack import Stack
from ....core.views.calculator_inputs import read_shape, read_stack
from ....core.views.fields import FieldError
from ....core.views.report import field_note
from ..common.labelled_field import CalcField
from ..common.message import CalcMessage
from .panel import SYNC_LAYER_LIMIT, CalcPanel
from .receptive_table import ReceptiveFieldTable

DEFAULT_FIELD_SPEC = "conv(8,3) conv(8,3) maxpool(2) conv(16,3) conv(16,3) maxpool(2)"


class ReceptiveFieldPanel(CalcPanel):
    """A spec and an input shape; the table of receptive fields updates as you type."""

    @dataclass
    class FieldsComputed(Message):
        """A worker finished the receptive fields of a big stack."""

        serial: int
        """Which request it answers; older answers are dropped."""
        rows: list[FieldRow] | None
        """None when a layer does not fit its input."""
        error: str
        """The failing layer's message, or an empty string."""

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(title, id=id)
        self.field_serial = 0
        """Counts requests, so a late worker answer cannot overwrite a newer one."""

    def compose_panel(self) -> ComposeResult:
        with Horizontal(id="field-form", classes="calc-row calc-form"):
            yield CalcField(
                "spec",
                DEFAULT_FIELD_SPEC,
                input_id="field-spec",
                placeholder="a preset (vgg16) or layers",
                tooltip="a preset name, a one-line spec or a stack .json file",
                classes="calc-wide",
            )
            yield CalcField(
                "input",
                "",
                input_id="field-input",
                placeholder="its own",
                tooltip="input shape, e.g. 3x224x224; empty: the preset's own",
            )
        yield CalcMessage(id="field-message")
        yield Static(id="field-title", classes="calc-title")
        yield ReceptiveFieldTable(id="field-table")

    def panel_built(self) -> None:
        self.recompute_receptive_field()

    @on(Input.Changed, "#field-form Input")
    def recompute_receptive_field(self, event: Message | None = None) -> None:
        if event is not None:
            event.stop()
        self.field_serial += 1
        message = self.query_one("#field-message", CalcMessage)
        table = self.query_one("#field-table", ReceptiveFieldTable)
        try:
            shape = read_shape("input shape", self._text("field-input"))
            stack, layers = read_stack("spec", self._text("field-spec"), shape)
        except FieldError as exc:
            message.show(str(exc))
            table.set_stale(True)
            return
        self._set_field_title(stack)
        if layers > SYNC_LAYER_LIMIT:
            message.show(f"tracing {layers:,} layers...", "info")
            table.set_stale(True)
            self.fields_in_background(self.field_serial, stack)
            return
        try:
            rows = receptive_fields(stack)
        except StackError as exc:
            self._show_fields(None, exc.describe())
            return
        self._show_fields(rows, "")

    def _set_field_title(self, stack: Stack) -> None:
        self.query_one("#field-title", Static).update(
            f"input {format_shape(stack.input_shape)}    field: input pixels one output cell sees\n"
            "jump: pixels between neighbouring cells    start: centre of the first field"
        )

    def _show_fields(self, rows: list[FieldRow] | None, error: str) -> None:
        message = self.query_one("#field-message", CalcMessage)
        table = self.query_one("#field-table", ReceptiveFieldTable)
        if rows is None:
            message.show(error)
            table.set_stale(True)
            return
        note = field_note(rows)
        if note:
            # a '≤' in the table: an adaptive pool with unequal windows, named here
            message.show(note, "info")
        else:
            message.clear()
        table.show_fields(rows)

    @work(thread=True, exclusive=True, exit_on_error=False, group="calc-field")
    def fields_in_background(self, serial: int, stack: Stack) -> None:
        try:
            rows: list[FieldRow] | None = receptive_fields(stack)
            error = ""
        except StackError as exc:
            rows, error = None, exc.describe()
        if not get_current_worker().is_cancelled:
            self.post_message(self.FieldsComputed(serial, rows, error))

    @on(FieldsComputed)
    def show_background_fields(self, event: FieldsComputed) -> None:
        event.stop()
        if event.serial == self.field_serial:
            self._show_fields(event.rows, event.error)
