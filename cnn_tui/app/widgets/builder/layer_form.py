"""LayerForm: the builder's modal form that adds or edits one layer, field by field."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Select, Static

from ....core.stacks.layer_settings import LAYER_TYPES, coerce, layer_from_dict
from ....core.stacks.layers import Layer, is_required_value
from ....core.stacks.shapes import Shape, StackError, format_shape
from ....core.stacks.spec_parser import parse_layers
from ....core.stacks.tally import short_count, tally
from ....core.views.fields import FieldError
from ..common.labelled_field import CalcField
from ..common.message import CalcMessage

FORM_KINDS: tuple[str, ...] = (
    "conv",
    "maxpool",
    "avgpool",
    "adaptiveavgpool",
    "relu",
    "leakyrelu",
    "tanh",
    "sigmoid",
    "gelu",
    "bn",
    "bn1d",
    "lrn",
    "dropout",
    "dropout2d",
    "flatten",
    "fc",
    "softmax",
    "logsoftmax",
    "res",
    "cat",
    "dense",
)
"""The layer types the form offers, in the order of its menu."""

BRANCH_FIELDS = frozenset({"body", "shortcut", "paths"})
"""Fields holding a block's layers: edited as rows of the table, not in the form."""

FIELD_HINTS: dict[str, str] = {
    "out_channels": "filters K (output channels)",
    "kernel": "window side F, or HxW such as 1x7",
    "stride": "step S between windows, or HxW",
    "padding": "zeros on each side (or HxW), or valid / same / full",
    "dilation": "1 = no gaps in the kernel; or HxW",
    "groups": "1 = ordinary conv; = channels: depthwise",
    "bias": "true or false",
    "ceil_mode": "true: keep a last, partial window",
    "count_include_pad": "true: padding zeros count in the mean",
    "output": "output side; 1 = global average pooling",
    "slope": "slope for x < 0",
    "eps": "added to the variance",
    "momentum": "update rate of the running statistics",
    "size": "channels in each normalisation window",
    "alpha": "scale",
    "beta": "exponent",
    "k": "additive constant",
    "p": "chance a unit is zeroed while training",
    "out_features": "neurons (output features)",
    "layers": "dense layers in the block",
    "growth": "channels each dense layer adds",
    "bn_size": "bottleneck width, as a multiple of growth",
    "drop_rate": "dropout after each dense layer; 0 = none",
}
"""A few words per field, shown after its input."""

POOL_STRIDE_HINT = "step S between windows, or HxW; empty = the kernel"


def form_fields(kind: str) -> list[dataclasses.Field[Any]]:
    """The fields of a layer type that the form asks for (a block's branches excluded)."""
    return [f for f in dataclasses.fields(LAYER_TYPES[kind]) if f.name not in BRANCH_FIELDS]


def is_required(field: dataclasses.Field[Any]) -> bool:
    return is_required_value(field.default)


def value_text(value: Any) -> str:
    """A field value as the form shows it: true/false, 0.0001 rather than 1e-04, 1x7 for a
    (height, width) pair, '' for None."""
    if value is None or is_required_value(value):
        return ""
    if isinstance(value, tuple):
        return "x".join(str(side) for side in value)  # a rectangular kernel: 1x7
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    return str(value)


def new_block(kind: str, incoming: Shape | None) -> Layer:
    """A fresh res or cat: a basic residual block on the incoming channels, or two branches."""
    if kind == "res":
        channels = incoming[0] if incoming is not None and len(incoming) == 3 else 64
        spec = f"res[conv({channels},3,p=1) bn relu conv({channels},3,p=1) bn]"
    else:
        spec = "cat[conv(8,1) | conv(8,3,p=1)]"
    return parse_layers(spec)[0]


def read_layer(kind: str, texts: Mapping[str, str]) -> Layer:
    """Build a layer from the typed field texts; a FieldError names the first field at fault.

    Empty fields take their default; a required one must be filled in."""
    data: dict[str, Any] = {"type": kind}
    for field in form_fields(kind):
        text = texts.get(field.name, "").strip()
        if not text:
            if is_required(field):
                raise FieldError(field.name, "needs a value")
            continue
        try:
            data[field.name] = coerce(field.name, text)
        except ValueError as exc:
            raise FieldError(field.name, str(exc)) from None
    try:
        return layer_from_dict(data, kind)
    except StackError as exc:
        raise FieldError(kind, exc.describe()) from None


def preview(layer: Layer, incoming: Shape | None) -> tuple[str, bool]:
    """What the layer makes of its input: ('20x12x12 -> 50x8x8, 25,050 parameters', True), or
    the engine's reason it does not fit (False)."""
    if incoming is None:
        return "its input is unknown until the layers above it fit", True
    result = tally((layer,), incoming)
    if result.error is not None:
        return f"{format_shape(incoming)} -> does not fit: {result.error.reason}", False
    params = result.totals.params
    out = format_shape(result.output_shape or ())
    return (
        f"{format_shape(incoming)} -> {out}, {params:,} parameters"
        f" ({short_count(params)}), {short_count(result.totals.macs)} MACs",
        True,
    )


class LayerForm(ModalScreen[Layer | None]):
    """Pick a layer type and fill in its fields; OK (or enter) returns the layer, escape None."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            tooltip="Close the form; the stack stays as it was",
            id="layer-form-cancel",
        ),
        # on the type picker (a type without settings), or in a field; on a button enter
        # presses that button, and with the type list open it picks a type
        Binding(
            "enter",
            "submit('add')",
            "Add",
            tooltip="Add the layer the form describes",
            id="layer-form-add",
            priority=True,
        ),
        Binding(
            "enter",
            "submit('apply')",
            "Apply",
            tooltip="Put the layer the form describes in place of the old one",
            id="layer-form-apply",
            priority=True,
        ),
    ]

    def __init__(
        self,
        title: str,
        layer: Layer | None = None,
        incoming: Shape | None = None,
        kind: str = "conv",
    ) -> None:
        super().__init__()
        self.form_title = title
        """What the form does, e.g. 'Edit layer 4 conv(50,5)'."""
        self.original = layer
        """The layer being edited; None when adding one."""
        self.incoming = incoming
        """The shape the layer will receive, when the layers above it fit."""
        self.kind = layer.kind if layer is not None else kind
        """The layer type chosen now."""

    def compose(self) -> ComposeResult:
        with Vertical(id="layer-form-box"):
            yield Static(self.form_title, id="layer-form-title", markup=False)
            with Horizontal(classes="layer-form-row"):
                yield Label("type", classes="layer-form-label")
                yield Select(
                    [(kind, kind) for kind in FORM_KINDS],
                    value=self.kind,
                    allow_blank=False,
                    compact=True,
                    id="layer-form-type",
                    tooltip="The layer type; enter or space opens the list (a type without "
                    "settings: enter adds it), letters jump to a type",
                )
            # no tab stop of its own: tab goes type -> fields -> OK -> Cancel, and a focused
            # field scrolls into view
            yield VerticalScroll(
                *self._fields_for(self.kind), id="layer-form-fields", can_focus=False
            )
            yield Static("", id="layer-form-preview", markup=False)
            yield CalcMessage(id="layer-form-message")
            with Horizontal(id="layer-form-buttons"):
                yield Button("OK", variant="primary", compact=True, id="layer-form-ok")
                yield Button("Cancel", compact=True, id="layer-form-cancel")
        yield Footer()

    def on_mount(self) -> None:
        self._update_preview()
        kinds = self.query_one("#layer-form-type", Select)
        self.watch(kinds, "expanded", self._type_list_toggled, init=False)
        if self.original is not None and self._first_field() is not None:
            self._focus_first_field()
        else:
            kinds.focus()

    def _first_field(self) -> Input | None:
        return next(self.query("#layer-form-fields Input").results(Input), None)

    def _focus_first_field(self) -> None:
        """The keys go to the first field; a layer without settings keeps them on the type
        picker, where enter adds it (tab goes on to OK, then Cancel)."""
        (self._first_field() or self.query_one("#layer-form-type", Select)).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action != "submit":
            return True
        # the footer names what enter does: Add, or Apply in an edit of a layer
        if parameters != (("add",) if self.original is None else ("apply",)):
            return False
        if isinstance(self.focused, Input):
            return True  # a field of the form
        # the closed type picker of a layer without settings; with settings, enter opens it
        picker = self.query_one("#layer-form-type", Select)
        return self.focused is picker and self._first_field() is None

    def action_submit(self, what: str) -> None:
        self.apply()

    def _type_list_toggled(self, expanded: bool) -> None:
        if not expanded:
            # a type was picked (the same one, too): on to its fields; queued on the app so it
            # runs after the Select takes the focus back
            self.app.call_later(self._focus_first_field)

    # -----------------------------------------------------------------------------------------
    # fields

    def _fields_for(self, kind: str) -> list[Widget]:
        """One CalcField per field of kind, filled from the edited layer (when it is of that
        kind) or the defaults; a block gets a note instead of its branches."""
        widgets: list[Widget] = []
        if kind in ("res", "cat"):
            if self.original is not None and self.original.kind == kind:
                note = f"{kind} has no settings: its layers are the rows under it in the table"
            else:
                note = (
                    f"starts as {new_block(kind, self.incoming).label()}; edit its layers as rows"
                )
            widgets.append(Static(note, classes="layer-form-note", markup=False))
            return widgets
        if not form_fields(kind):
            widgets.append(Static(f"{kind} has no settings", classes="layer-form-note"))
            return widgets
        same = self.original is not None and self.original.kind == kind
        for field in form_fields(kind):
            if same:
                text = value_text(getattr(self.original, field.name))
            else:
                text = value_text(field.default)
            stride_hint = field.name == "stride" and kind in ("maxpool", "avgpool")
            widgets.append(
                CalcField(
                    field.name,
                    text,
                    input_id=f"layer-field-{field.name}",
                    hint=POOL_STRIDE_HINT if stride_hint else FIELD_HINTS.get(field.name, ""),
                    placeholder="needed" if is_required(field) else "",
                    classes="layer-form-field",
                )
            )
        return widgets

    def typed_texts(self) -> dict[str, str]:
        """The text of each field input now, by field name."""
        return {
            (field.id or "").removeprefix("layer-field-"): field.value
            for field in self.query("#layer-form-fields Input").results(Input)
        }

    @on(Select.Changed, "#layer-form-type")
    async def switch_layer_type(self, event: Select.Changed) -> None:
        event.stop()
        kind = str(event.value)
        if kind == self.kind:
            return
        self.kind = kind
        box = self.query_one("#layer-form-fields", VerticalScroll)
        await box.remove_children()
        await box.mount_all(self._fields_for(kind))
        self.query_one("#layer-form-message", CalcMessage).clear()
        self._update_preview()
        self._focus_first_field()

    @on(Input.Changed, "#layer-form-fields Input")
    def typed_a_value(self, event: Input.Changed) -> None:
        event.stop()
        event.input.remove_class("-invalid")
        self._update_preview()

    def _update_preview(self) -> None:
        label = self.query_one("#layer-form-preview", Static)
        try:
            layer = self.chosen_layer()
        except FieldError:
            label.update("")
            return
        text, fits = preview(layer, self.incoming)
        label.update(text)
        label.set_class(not fits, "-warning")

    def chosen_layer(self) -> Layer:
        """The layer the form describes now (raises FieldError naming a field)."""
        if self.kind in ("res", "cat"):
            if self.original is not None and self.original.kind == self.kind:
                return self.original
            return new_block(self.kind, self.incoming)
        return read_layer(self.kind, self.typed_texts())

    # -----------------------------------------------------------------------------------------
    # closing

    @on(Input.Submitted, "#layer-form-fields Input")
    @on(Button.Pressed, "#layer-form-ok")
    def apply(self, event: Input.Submitted | Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        message = self.query_one("#layer-form-message", CalcMessage)
        try:
            layer = self.chosen_layer()
        except FieldError as exc:
            message.show(str(exc))
            fields = self.query(f"#layer-field-{exc.field}").results(Input)
            field = next(fields, None)
            if field is not None:
                field.add_class("-invalid")
                field.focus()
            return
        self.dismiss(layer)

    @on(Button.Pressed, "#layer-form-cancel")
    def action_cancel(self, event: Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        self.dismiss(None)
