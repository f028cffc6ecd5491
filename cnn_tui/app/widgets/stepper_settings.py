"""StepperSettings: the stepper's form (preset, operation, stride, padding, ...) as one config."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, Select

from ...core.convolution.stepper import PRESETS

OPERATIONS: tuple[tuple[str, str], ...] = (
    ("conv 2-D", "conv2d"),
    ("conv 1-D", "conv1d"),
    ("max pool", "maxpool"),
    ("average pool", "avgpool"),
    ("L2 pool", "l2pool"),
)
MODES: tuple[tuple[str, str], ...] = (
    ("cross-correlation", "correlation"),
    ("true convolution", "convolution"),
)
MAX_CHANNELS = 4


@dataclass(frozen=True)
class StepperConfig:
    """Everything the form decides; the grids hold the numbers."""

    operation: str = "conv2d"
    """'conv2d', 'conv1d', 'maxpool', 'avgpool' or 'l2pool'."""
    channels: int = 1
    """Input channels C_in."""
    filters: int = 1
    """Conv filters K (pooling keeps the channels)."""
    stride: int | tuple[int, int] | None = 1
    """None for pooling means 'the window size', as in PyTorch; (h, w) when the axes differ."""
    padding: int | tuple[int, int] | str = 0
    """A number (or (h, w)), or 'valid' / 'same' / 'full' (the output mode)."""
    dilation: int | tuple[int, int] = 1
    bias: tuple[float, ...] = field(default=(0.0,))
    """One bias per filter, or one shared by all."""
    mode: str = "correlation"
    """'correlation' (what frameworks call convolution) or 'convolution' (kernel flipped)."""
    size: int | tuple[int, int] = 2
    """Pooling window size, or (h, w) for a rectangular window such as 3x1."""
    ceil_mode: bool = False

    @property
    def is_pool(self) -> bool:
        return self.operation.endswith("pool")


class FieldError(ValueError):
    """One form field holds something that is not allowed."""


def _whole(text: str, name: str, least: int, most: int | None = None) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise FieldError(f"{name}: expected a whole number, got {text.strip()!r}") from None
    if value < least or (most is not None and value > most):
        limit = f"between {least} and {most}" if most is not None else f"at least {least}"
        raise FieldError(f"{name}: must be {limit}, got {value}")
    return value


def _whole_or_pair(text: str, name: str, least: int) -> int | tuple[int, int]:
    """A number, or HxW (3x1) for a setting that differs between height and width."""
    if re.fullmatch(r"\s*[-0-9]+\s*[xX×]\s*[-0-9]+\s*", text):
        height, width = (_whole(side, name, least) for side in re.split(r"[xX×]", text))
        return height if height == width else (height, width)
    return _whole(text, name, least)


def _shown(value: int | tuple[int, int] | str) -> str:
    """A setting as its field shows it: 2, same, or 3x1."""
    return "x".join(map(str, value)) if isinstance(value, tuple) else str(value)


def parse_padding(text: str) -> int | tuple[int, int] | str:
    value = text.strip().lower()
    if value in ("valid", "same", "full"):
        return value
    return _whole_or_pair(value, "padding", 0)


def parse_bias(text: str) -> tuple[float, ...]:
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        return (0.0,)
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise FieldError(f"bias: expected numbers like 1 or 1, 0 - got {text.strip()!r}") from None
    for part, value in zip(parts, values, strict=True):
        if not math.isfinite(value):
            raise FieldError(f"bias: {part!r} is not a finite number")
    return values


class StepperSettings(VerticalScroll):
    """The settings column: edits post Changed with a whole config, or Invalid naming the field."""

    DEFAULT_CSS = """
    StepperSettings {
        width: 24;
        height: 1fr;
        padding: 0 1;
        border-right: vkey $primary 50%;
        & Label { color: $text-muted; margin-top: 1; }
        & Input, & Select { width: 100%; }
        & .-hidden { display: none; }
    }
    """

    @dataclass
    class Changed(Message):
        """Every field parsed: here is the new config."""

        settings: StepperSettings
        config: StepperConfig

        @property
        def control(self) -> StepperSettings:
            return self.settings

    @dataclass
    class Invalid(Message):
        """A field holds something the stepper cannot use."""

        settings: StepperSettings
        message: str

        @property
        def control(self) -> StepperSettings:
            return self.settings

    @dataclass
    class PresetChosen(Message):
        """The student picked a preset by name."""

        settings: StepperSettings
        name: str

        @property
        def control(self) -> StepperSettings:
            return self.settings

    shown: StepperConfig = StepperConfig()
    """The config the fields show now (edits that leave it unchanged post nothing)."""
    refused: bool = False
    """A field was refused since the last Changed: the next good config is posted anyway."""

    def compose(self) -> ComposeResult:
        yield Label("preset")
        yield Select(
            [(p.title, p.name) for p in PRESETS.values()],
            prompt="custom",
            id="preset",
            compact=True,
            tooltip="A worked example from the lecture",
        )
        yield Label("operation")
        yield Select(OPERATIONS, allow_blank=False, value="conv2d", id="operation", compact=True)
        yield Label("channels (C_in)", classes="conv pool")
        yield Input("1", id="channels", compact=True, tooltip=f"1 to {MAX_CHANNELS}")
        yield Label("filters (K)", classes="conv")
        yield Input("1", id="filters", compact=True, classes="conv", tooltip="1 to 4")
        yield Label("window size", classes="pool")
        yield Input(
            "2", id="size", compact=True, classes="pool", tooltip="A side, or HxW such as 3x1"
        )
        yield Label("stride")
        yield Input(
            "1",
            id="stride",
            compact=True,
            tooltip="A step, or HxW such as 2x1; blank for pooling: the window size",
        )
        yield Label("padding (n / same / full)")
        yield Input(
            "0",
            id="padding",
            compact=True,
            tooltip="valid = 0, same, full, a number, or HxW such as 0x1",
        )
        yield Label("dilation", classes="conv")
        yield Input(
            "1", id="dilation", compact=True, classes="conv", tooltip="1, 2, ... or HxW such as 1x2"
        )
        yield Label("bias (per filter)", classes="conv")
        yield Input("0", id="bias", compact=True, classes="conv", tooltip="e.g. 1, 0")
        yield Label("mode", classes="conv")
        yield Select(
            MODES, allow_blank=False, value="correlation", id="mode", compact=True, classes="conv"
        )
        yield Checkbox("ceil mode", id="ceil", compact=True, classes="pool")

    def on_mount(self) -> None:
        self._show_fields_for("conv2d")

    def _show_fields_for(self, operation: str) -> None:
        pool = operation.endswith("pool")
        for widget in self.query(".conv"):
            widget.set_class(pool and not widget.has_class("pool"), "-hidden")
        for widget in self.query(".pool"):
            widget.set_class(not pool and not widget.has_class("conv"), "-hidden")

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def read(self) -> StepperConfig:
        """The config the fields describe (raises FieldError naming the first bad field)."""
        operation = str(self.query_one("#operation", Select).value)
        pool = operation.endswith("pool")
        stride_text = self._value("stride").strip()
        stride = None if pool and not stride_text else _whole_or_pair(stride_text, "stride", 1)
        return StepperConfig(
            operation=operation,
            channels=_whole(self._value("channels"), "channels", 1, MAX_CHANNELS),
            filters=1 if pool else _whole(self._value("filters"), "filters", 1, 4),
            stride=stride,
            padding=parse_padding(self._value("padding")),
            dilation=1 if pool else _whole_or_pair(self._value("dilation"), "dilation", 1),
            bias=(0.0,) if pool else parse_bias(self._value("bias")),
            mode=str(self.query_one("#mode", Select).value),
            size=_whole_or_pair(self._value("size"), "window size", 1) if pool else 2,
            ceil_mode=self.query_one("#ceil", Checkbox).value,
        )

    def load(self, config: StepperConfig, preset: str | None = None) -> None:
        """Show a config (from a preset) without posting Changed for each field."""
        with self.prevent(Input.Changed, Select.Changed, Checkbox.Changed):
            self.query_one("#preset", Select).value = preset if preset else Select.NULL
            self.query_one("#operation", Select).value = config.operation
            self.query_one("#channels", Input).value = str(config.channels)
            self.query_one("#filters", Input).value = str(config.filters)
            self.query_one("#size", Input).value = _shown(config.size)
            self.query_one("#stride", Input).value = (
                "" if config.stride is None else _shown(config.stride)
            )
            self.query_one("#padding", Input).value = _shown(config.padding)
            self.query_one("#dilation", Input).value = _shown(config.dilation)
            self.query_one("#bias", Input).value = ", ".join(f"{b:g}" for b in config.bias)
            self.query_one("#mode", Select).value = config.mode
            self.query_one("#ceil", Checkbox).value = config.ceil_mode
        self.shown = config
        self._show_fields_for(config.operation)

    @on(Select.Changed, "#preset")
    def _preset_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL:
            self.post_message(self.PresetChosen(self, str(event.value)))

    @on(Input.Changed)
    @on(Select.Changed, "#operation, #mode")
    @on(Checkbox.Changed)
    def _field_edited(self, event: Message) -> None:
        event.stop()
        if isinstance(event, Select.Changed) and event.select.id == "operation":
            self._show_fields_for(str(event.value))
        try:
            config = self.read()
        except FieldError as exc:
            self.refused = True
            self.post_message(self.Invalid(self, str(exc)))
            return
        if config == self.shown and not self.refused:
            return  # widgets settling on mount, or an edit that changes nothing
        self.refused = False
        self.shown = config
        with self.prevent(Select.Changed):
            # a hand edit turns the example into the student's own
            self.query_one("#preset", Select).value = Select.NULL
        self.post_message(self.Changed(self, config))
