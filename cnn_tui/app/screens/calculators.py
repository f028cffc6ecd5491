"""CalculatorsScreen: output sizes, parameter counts, receptive fields and whole-model summaries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
    Tabs,
)
from textual.worker import get_current_worker

from ...core.convolution.arithmetic import (
    ArithmeticError_,
    check_pool_padding,
    conv_params,
    linear_params,
    output_size,
    size_report,
)
from ...core.stacks.receptive_field import FieldRow, receptive_fields
from ...core.stacks.shapes import MAX_LAYERS, Shape, StackError, format_shape, parse_shape
from ...core.stacks.stack import Stack, row_count
from ...core.stacks.tally import DTYPE_BYTES, OPTIMIZER_STATE, Tally, tally
from ...core.stacks.zoo import resolve_stack
from ...core.views.fields import FieldError, read_padding, read_whole
from ...core.views.report import (
    MEMORY_NOTE,
    conv_params_formula,
    conv_shape_text,
    field_note,
    linear_params_formula,
    summary_totals,
    transposed_formula,
)
from ..widgets.calculators.receptive_table import ReceptiveFieldTable
from ..widgets.common.labelled_field import CalcField
from ..widgets.common.message import CalcMessage
from ..widgets.common.result_panel import CalcResult, ResultLine
from ..widgets.common.tally_table import TallyTable

TAB_IDS: tuple[str, ...] = ("tab-size", "tab-params", "tab-field", "tab-summary")
"""The calculator tabs, left to right."""

SYNC_LAYER_LIMIT = 600
"""Stacks up to this many layers are worked out at once, table included: resnet152 (515
layers, the biggest preset) takes about 25 ms, 600 plain convs about 35 ms. Bigger ones go to
a worker so typing stays smooth."""

WINDOW_LIMIT = 400_000
"""size_report visits every window tap (output x kernel); beyond this it would stall the UI."""

TOTALS_LABEL_LIMIT = 24
"""Layer labels in the most-memory / most-params lines are clipped to this, so the lines fit
80 columns (the table above shows each label in full where there is room)."""

DEFAULT_FIELD_SPEC = "conv(8,3) conv(8,3) maxpool(2) conv(16,3) conv(16,3) maxpool(2)"
DEFAULT_MODEL = "seed-mnist"


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

    @dataclass
    class TallyComputed(Message):
        """A worker finished tallying a big stack."""

        serial: int
        """Which request it answers; older answers are dropped."""
        result: Tally
        """The tally, with its error when a layer does not fit."""

    @dataclass
    class FieldsComputed(Message):
        """A worker finished the receptive fields of a big stack."""

        serial: int
        """Which request it answers; older answers are dropped."""
        rows: list[FieldRow] | None
        """None when a layer does not fit its input."""
        error: str
        """The failing layer's message, or an empty string."""

    def __init__(self) -> None:
        super().__init__()
        self.summary_serial = 0
        """Counts summary requests, so a late worker answer cannot overwrite a newer one."""
        self.field_serial = 0
        """The same for the receptive-field tab."""

    # -----------------------------------------------------------------------------------------
    # layout

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="calc-tabs"):
            with (
                TabPane("Conv / pool size", id="tab-size"),
                VerticalScroll(classes="calc-pane", can_focus=False),
            ):
                with Vertical(id="size-form", classes="calc-form"):
                    yield CalcField(
                        "W  size", "32", input_id="size-w", hint="input height (= width)"
                    )
                    yield CalcField(
                        "F  kernel", "5", input_id="size-f", hint="window height (= width)"
                    )
                    yield CalcField(
                        "S  stride", "1", input_id="size-s", hint="cells the window moves"
                    )
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
            with (
                TabPane("Parameters", id="tab-params"),
                VerticalScroll(classes="calc-pane", can_focus=False),
            ):
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
            with TabPane("Receptive field", id="tab-field"):
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
            with TabPane("Summary", id="tab-summary"):
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
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#summary-totals", CalcResult).tooltip = MEMORY_NOTE
        sizes = ", ".join(f"{name} {size}" for name, size in DTYPE_BYTES.items())
        self.query_one("#summary-dtype", Select).tooltip = f"bytes per number: {sizes}"
        state = ", ".join(f"{name} {extra}" for name, extra in OPTIMIZER_STATE.items())
        optimizer = self.query_one("#summary-optimizer", Select)
        optimizer.tooltip = f"extra numbers kept per parameter: {state}"
        self.recompute_size()
        self.recompute_conv_params()
        self.recompute_linear_params()
        self.recompute_receptive_field()
        self.recompute_summary()

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

    # -----------------------------------------------------------------------------------------
    # conv / pool size

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
            raise _blame(exc, fields, "kernel") from None
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

    # -----------------------------------------------------------------------------------------
    # parameters

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
            raise _blame(exc, ("kernel", "groups"), "groups") from None
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
            raise _blame(exc, ("size", "kernel", "stride", "padding"), "kernel") from None
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

    # -----------------------------------------------------------------------------------------
    # receptive field

    @on(Input.Changed, "#field-form Input")
    def recompute_receptive_field(self, event: Message | None = None) -> None:
        if event is not None:
            event.stop()
        self.field_serial += 1
        message = self.query_one("#field-message", CalcMessage)
        table = self.query_one("#field-table", ReceptiveFieldTable)
        try:
            shape = _read_shape("input shape", self._text("field-input"))
            stack, layers = _read_stack("spec", self._text("field-spec"), shape)
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

    # -----------------------------------------------------------------------------------------
    # summary

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
            shape = _read_shape("input shape", self._text("summary-input"))
            stack, layers = _read_stack("model", self._text("summary-model"), shape)
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


# ---------------------------------------------------------------------------------------------
# reading the forms


def _blame(exc: ArithmeticError_, fields: Sequence[str], default: str) -> FieldError:
    """An engine message as a FieldError, naming the field it starts with (else default)."""
    text = str(exc)
    for field in fields:
        if text.startswith(field + " "):
            return FieldError(field, text[len(field) + 1 :])
    return FieldError(default, text)


def _read_shape(field: str, text: str) -> Shape | None:
    """A typed input shape, or None when empty (the stack's own)."""
    if not text.strip():
        return None
    try:
        return parse_shape(text)
    except StackError as exc:
        raise FieldError(field, exc.describe().removeprefix("input shape ")) from None


def _read_stack(field: str, text: str, shape: Shape | None) -> tuple[Stack, int]:
    """A preset, spec or stack file, with its number of layers (blocks counted inside)."""
    if not text.strip():
        raise FieldError(field, "type a preset (vgg16) or layers like conv(20,5) relu maxpool(2)")
    try:
        stack = resolve_stack(text, shape)
    except (StackError, ValueError, OSError) as exc:
        reason = exc.describe() if isinstance(exc, StackError) else str(exc)
        raise FieldError(field, reason) from None
    layers = row_count(stack.layers)
    if layers > MAX_LAYERS:  # a stack file may hold more than a spec (the parser's limit)
        raise FieldError(field, f"{layers:,} layers; the calculators stop at {MAX_LAYERS:,}")
    return stack, layers
