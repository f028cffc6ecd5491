"""StepperSettings: the stepper's form (preset, operation, stride, padding, ...) as one config."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, Select

from ....core.convolution.backward_presets import BACKWARD_PRESETS
from ....core.convolution.presets import PRESETS
from ....core.views.fields import FieldError
from ....core.views.stepper_config import MAX_CHANNELS, MAX_FILTERS, StepperConfig, read_config

OPERATIONS: tuple[tuple[str, str], ...] = (
    ("conv 2-D", "conv2d"),
    ("conv 1-D", "conv1d"),
    ("max pool", "maxpool"),
    ("average pool", "avgpool"),
    ("L2 pool", "l2pool"),
)
DIRECTIONS: tuple[tuple[str, str], ...] = (
    ("forward: compute", "forward"),
    ("backward: gradients", "backward"),
)
MODES: tuple[tuple[str, str], ...] = (
    ("cross-correlation", "correlation"),
    ("true convolution", "convolution"),
)


class StepperSettings(VerticalScroll):
    """The settings column: edits post Changed with a whole config, or Invalid naming the field."""

    WIDTH = 26
    """Columns the settings take: the stepper folds them away when the step needs the room."""

    DEFAULT_CSS = f"""
    StepperSettings {{
        width: {WIDTH};
        height: 1fr;
        padding: 0 1;
        border-right: vkey $primary 50%;
        & Label {{ color: $text-muted; margin-top: 1; }}
        & Input, & Select {{ width: 100%; }}
        & .-hidden {{ display: none; }}
    }}
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

    @dataclass
    class DirectionChosen(Message):
        """The student picked the forward or the backward pass."""

        settings: StepperSettings
        backward: bool

        @property
        def control(self) -> StepperSettings:
            return self.settings

    shown: StepperConfig = StepperConfig()
    """The config the fields show now (edits that leave it unchanged post nothing)."""
    refused: bool = False
    backward: bool = False
    """The direction the Select shows: the backward pass (True) or the forward one."""
    """A field was refused since the last Changed: the next good config is posted anyway."""

    def compose(self) -> ComposeResult:
        yield Label("preset")
        yield Select(
            [(p.title, p.name) for p in (*PRESETS.values(), *BACKWARD_PRESETS.values())],
            prompt="custom",
            id="preset",
            compact=True,
            tooltip="A worked example from the lecture (the backward ones open the backward pass)",
        )
        yield Label("direction (d)")
        yield Select(DIRECTIONS, allow_blank=False, value="forward", id="direction", compact=True)
        yield Label("operation")
        yield Select(OPERATIONS, allow_blank=False, value="conv2d", id="operation", compact=True)
        yield Label("channels (C_in)", classes="conv pool")
        yield Input("1", id="channels", compact=True, tooltip=f"1 to {MAX_CHANNELS}")
        yield Label("filters (K)", classes="conv")
        yield Input("1", id="filters", compact=True, classes="conv", tooltip=f"1 to {MAX_FILTERS}")
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
        yield Label("padding (n/same/full)")
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
        texts = {name: self._value(name) for name in StepperConfig().texts()}
        return read_config(
            str(self.query_one("#operation", Select).value),
            texts,
            mode=str(self.query_one("#mode", Select).value),
            ceil_mode=self.query_one("#ceil", Checkbox).value,
        )

    def load(self, config: StepperConfig, preset: str | None = None) -> None:
        """Show a config (from a preset) without posting Changed for each field."""
        with self.prevent(Input.Changed, Select.Changed, Checkbox.Changed):
            self.query_one("#preset", Select).value = preset if preset else Select.NULL
            self.query_one("#operation", Select).value = config.operation
            for name, text in config.texts().items():
                self.query_one(f"#{name}", Input).value = text
            self.query_one("#mode", Select).value = config.mode
            self.query_one("#ceil", Checkbox).value = config.ceil_mode
        self.shown = config
        self._show_fields_for(config.operation)

    def show_direction(self, backward: bool) -> None:
        """Show the direction the screen steps, without posting DirectionChosen."""
        self.backward = backward
        with self.prevent(Select.Changed):
            self.query_one("#direction", Select).value = "backward" if backward else "forward"

    @on(Select.Changed, "#direction")
    def _direction_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if (event.value == "backward") != self.backward:  # not the Select settling on mount
            self.backward = event.value == "backward"
            self.post_message(self.DirectionChosen(self, self.backward))

    @on(Select.Changed, "#preset")
    def _preset_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL:
            self.post_message(self.PresetChosen(self, str(event.value)))

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        # enter applies the field (as typing already did) and keeps focus in it
        event.stop()
        self._field_edited(event)

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
