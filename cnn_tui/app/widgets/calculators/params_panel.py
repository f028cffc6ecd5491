"""ParamsPanel: the parameters tab, the weights and biases of a conv layer (with its output
shape when W is typed) and of a fully connected layer, each with its formula."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, Input, Static

from ....core.convolution.arithmetic import (
    ArithmeticError_,
    conv_params,
    linear_params,
    output_size,
)
from ....core.views.calculator_inputs import blame
from ....core.views.fields import FieldError, read_padding, read_whole
from ....core.views.report import conv_params_formula, conv_shape_text, linear_params_formula
from ..common.labelled_field import CalcField
from ..common.message import CalcMessage
from ..common.result_panel import CalcResult, ResultLine
from .panel import CalcPanel


class ParamsPanel(CalcPanel):
    """A conv layer's and a fully connected layer's parameter counts, as you type."""

    def compose_panel(self) -> ComposeResult:
        with VerticalScroll(classes="calc-pane", can_focus=False):
            yield Static(
                "Conv layer: (F*F*C_in/groups)*K weights + K biases", classes="calc-heading"
            )
            with Vertical(id="conv-form", classes="calc-form"):
                with Horizontal(classes="calc-row"):
                    yield CalcField("F", "5", input_id="conv-f", tooltip="kernel size")
                    yield CalcField(
                        "C_in", "3", input_id="conv-cin", tooltip="input channels (depth)"
                    )
                    yield CalcField("K", "6", input_id="conv-k", tooltip="filters")
                    yield CalcField(
                        "groups", "1", input_id="conv-groups", tooltip="1 = ordinary conv"
                    )
                    yield Checkbox("bias", True, compact=True, id="conv-bias")
                with Horizontal(classes="calc-row"):
                    yield CalcField(
                        "W",
                        "32",
                        input_id="conv-w",
                        placeholder="optional",
                        tooltip="input size, for the output shape (may stay empty)",
                    )
                    yield CalcField("S", "1", input_id="conv-s", tooltip="stride")
                    yield CalcField(
                        "P",
                        "0",
                        input_id="conv-p",
                        tooltip="padding: a number, or valid / same / full",
                    )
            yield CalcMessage(id="conv-message")
            yield CalcResult(id="conv-result")
            yield Static("Fully connected: in*out weights + out biases", classes="calc-heading")
            with Horizontal(id="linear-form", classes="calc-row calc-form"):
                yield CalcField("in", "800", input_id="linear-in", tooltip="input features")
                yield CalcField(
                    "out", "500", input_id="linear-out", tooltip="output features (neurons)"
                )
                yield Checkbox("bias", True, compact=True, id="linear-bias")
            yield CalcMessage(id="linear-message")
            yield CalcResult(id="linear-result")

    def panel_built(self) -> None:
        self.recompute_conv_params()
        self.recompute_linear_params()

    @on(Input.Changed, "#conv-form Input")
    @on(Checkbox.Changed, "#conv-bias")
    def recompute_conv_params(self, event: Message | None = None) -> None:
        if event is not None:
            event.stop()
        self._show_result("conv", self._conv_lines)

    def _conv_lines(self) -> list[ResultLine]:
        kernel = read_whole("kernel", self._text("conv-f"))
        in_channels = read_whole("in channels", self._text("conv-cin"))
        filters = read_whole("filters", self._text("conv-k"))
        groups = read_whole("groups", self._text("conv-groups"))
        bias = self.query_one("#conv-bias", Checkbox).value
        try:
            count = conv_params(kernel, in_channels, filters, groups, bias)
            formula = conv_params_formula(kernel, in_channels, filters, groups, bias)
        except ArithmeticError_ as exc:
            raise blame(exc, ("kernel", "groups"), "groups") from None
        lines = [
            ResultLine("parameters", formula),
            ResultLine("", f"{count.weights:,} weights + {count.biases:,} biases", "note"),
        ]
        size_text = self._text("conv-w")
        if not size_text.strip():
            lines.append(ResultLine("output shape", "type W to see it", "note"))
            return lines
        size = read_whole("size", size_text)
        stride = read_whole("stride", self._text("conv-s"))
        padding = read_padding("padding", self._text("conv-p"))
        try:
            out = output_size(size, kernel, stride, padding)
        except ArithmeticError_ as exc:
            raise blame(exc, ("size", "kernel", "stride", "padding"), "kernel") from None
        lines.append(ResultLine("output shape", conv_shape_text(in_channels, size, filters, out)))
        return lines

    @on(Input.Changed, "#linear-form Input")
    @on(Checkbox.Changed, "#linear-bias")
    def recompute_linear_params(self, event: Message | None = None) -> None:
        if event is not None:
            event.stop()
        message = self.query_one("#linear-message", CalcMessage)
        result = self.query_one("#linear-result", CalcResult)
        try:
            in_features = read_whole("in features", self._text("linear-in"))
            out_features = read_whole("out features", self._text("linear-out"))
        except FieldError as exc:
            message.show(str(exc))
            result.set_stale(True)
            return
        bias = self.query_one("#linear-bias", Checkbox).value
        count = linear_params(in_features, out_features, bias)
        message.clear()
        result.show(
            [
                ResultLine("parameters", linear_params_formula(in_features, out_features, bias)),
                ResultLine("", f"{count.weights:,} weights + {count.biases:,} biases", "note"),
            ]
        )
