"""SizePanel: the conv / pool size tab, the output size of one layer from W, F, S, P and D,
with its formula, what the numbers leave out and the transposed layer's size."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, Input

from ....core.convolution.arithmetic import (
    ArithmeticError_,
    check_pool_padding,
    output_size,
    size_report,
)
from ....core.views.calculator_inputs import blame
from ....core.views.fields import FieldError, read_padding, read_whole
from ....core.views.report import transposed_formula
from ..common.labelled_field import CalcField
from ..common.message import CalcMessage
from ..common.result_panel import CalcResult, ResultLine
from .panel import CalcPanel

WINDOW_LIMIT = 400_000
"""size_report visits every window tap (output x kernel); beyond this it would stall the UI."""


class SizePanel(CalcPanel):
    """W, F, S, P, D and ceil mode; the output size updates as you type."""

    def compose_panel(self) -> ComposeResult:
        with VerticalScroll(classes="calc-pane", can_focus=False):
            with Vertical(id="size-form", classes="calc-form"):
                yield CalcField("W  size", "32", input_id="size-w", hint="input height (= width)")
                yield CalcField("F  kernel", "5", input_id="size-f", hint="window height (= width)")
                yield CalcField("S  stride", "1", input_id="size-s", hint="cells the window moves")
                yield CalcField(
                    "P  padding",
                    "0",
                    input_id="size-p",
                    hint="zeros on each side, or valid / same / full",
                )
                yield CalcField(
                    "D  dilation", "1", input_id="size-d", hint="1 = no gaps in the window"
                )
                yield Checkbox(
                    "ceil mode (pooling keeps a last, partial window)",
                    compact=True,
                    id="size-ceil",
                )
            yield CalcMessage(id="size-message")
            yield CalcResult(id="size-result")

    def panel_built(self) -> None:
        self.recompute_size()

    @on(Input.Changed, "#size-form Input")
    @on(Checkbox.Changed, "#size-ceil")
    def recompute_size(self, event: Message | None = None) -> None:
        if event is not None:
            event.stop()
        self._show_result("size", self._size_lines)

    def _size_lines(self) -> list[ResultLine]:
        size = read_whole("size", self._text("size-w"))
        kernel = read_whole("kernel", self._text("size-f"))
        stride = read_whole("stride", self._text("size-s"))
        padding = read_padding("padding", self._text("size-p"))
        dilation = read_whole("dilation", self._text("size-d"))
        ceil_mode = self.query_one("#size-ceil", Checkbox).value
        fields = ("size", "kernel", "stride", "padding", "dilation")
        try:
            if ceil_mode:
                # ceil mode exists only for pooling, so PyTorch's pooling padding rule holds
                check_pool_padding(kernel, padding)
            windows = output_size(size, kernel, stride, padding, dilation, ceil_mode)
            if windows * (kernel + 1) > WINDOW_LIMIT:
                raise FieldError(
                    "padding" if windows > size else "size",
                    f"{windows:,} windows of {kernel} is more than this calculator walks"
                    f" (it lists every window: keep output x kernel under {WINDOW_LIMIT:,})",
                )
            report = size_report(size, kernel, stride, padding, dilation, ceil_mode)
        except ArithmeticError_ as exc:
            raise blame(exc, fields, "kernel") from None
        first, *dropped = report.formula_lines
        lines = [ResultLine("output size", first)]
        lines.extend(ResultLine("", line) for line in dropped)
        if report.explanation:
            lines.append(ResultLine("", report.explanation, "warning"))
        if not ceil_mode and isinstance(padding, int) and 2 * padding > kernel:
            lines.append(
                ResultLine("pooling", f"refuses padding {padding} (at most {kernel // 2})", "note")
            )
        if isinstance(padding, str):
            lines.append(ResultLine("transposed", "takes a number for padding", "note"))
        else:
            try:
                formula = transposed_formula(size, kernel, stride, padding, 0, dilation)
                lines.append(ResultLine("transposed", formula))
            except ArithmeticError_ as exc:
                lines.append(ResultLine("transposed", str(exc), "note"))
        return lines
