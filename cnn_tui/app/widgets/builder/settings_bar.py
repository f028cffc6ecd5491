"""BuilderSettings: the builder's rows above the table (preset menu, spec line, input shape,
batch, dtype and optimizer), reporting what the student chose with messages."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select

from ....core.stacks.shapes import Shape, StackError, format_shape, parse_shape
from ....core.stacks.tally import DTYPE_BYTES, OPTIMIZER_STATE
from ....core.stacks.zoo import PRESETS
from ....core.views.fields import FieldError, read_whole

EMPTY_CHOICE = "empty"
"""The preset menu's first entry: a stack with no layers."""

DEFAULT_INPUT: Shape = (1, 28, 28)
"""An empty stack starts on MNIST digits, as the lecture's first network does."""


class BuilderSettings(Vertical):
    """The preset, spec and size fields. The screen sets what they show (`show_spec`,
    `show_shape`, `show_preset`); the fields report back with the messages below."""

    @dataclass
    class SpecSubmitted(Message):
        """Enter in the spec line: replace the stack with what it holds."""

        text: str

    @dataclass
    class PresetPicked(Message):
        """The student picked a preset (or 'empty') from the menu."""

        choice: str

    class SizesChanged(Message):
        """The input shape or batch field changed: `read_sizes` says to what."""

    class ChoicesChanged(Message):
        """The dtype or optimizer menu changed: `choices` says to what."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.preset_choice = EMPTY_CHOICE
        """What the preset menu shows: the preset last opened, or 'empty'."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="builder-row"):
            yield Label("preset", classes="builder-label")
            yield Select(
                [(EMPTY_CHOICE, EMPTY_CHOICE), *((name, name) for name in PRESETS)],
                value=EMPTY_CHOICE,
                allow_blank=False,
                compact=True,
                id="builder-preset",
                tooltip="Open a network from the zoo (the stack it replaces can be undone)",
            )
            yield Label("spec", classes="builder-label")
            yield Input(
                "",
                placeholder="layers, e.g. conv(20,5) relu maxpool(2); enter applies",
                compact=True,
                id="builder-spec",
                tooltip="The stack in one line; type layers, a preset or a .json file and "
                "press enter to replace the stack",
            )
        with Horizontal(classes="builder-row"):
            yield Label("input", classes="builder-label")
            yield Input(
                format_shape(DEFAULT_INPUT),
                compact=True,
                select_on_focus=True,
                id="builder-input",
                tooltip="Input shape per image: CxHxW like 3x224x224, or a feature count",
            )
            yield Label("batch", classes="builder-label")
            yield Input(
                "1",
                compact=True,
                select_on_focus=True,
                id="builder-batch",
                tooltip="Images per batch, for the memory figures",
            )
            yield Label("dtype", classes="builder-label")
            yield Select(
                [(name, name) for name in DTYPE_BYTES if name != "fp64"],
                value="fp32",
                allow_blank=False,
                compact=True,
                id="builder-dtype",
            )
            yield Label("optimizer", classes="builder-label")
            yield Select(
                [(name, name) for name in OPTIMIZER_STATE],
                value="sgd",
                allow_blank=False,
                compact=True,
                id="builder-optimizer",
            )

    def on_mount(self) -> None:
        sizes = ", ".join(f"{name} {size}" for name, size in DTYPE_BYTES.items())
        self.query_one("#builder-dtype", Select).tooltip = f"bytes per number: {sizes}"
        state = ", ".join(f"{name} {extra}" for name, extra in OPTIMIZER_STATE.items())
        optimizer = self.query_one("#builder-optimizer", Select)
        optimizer.tooltip = f"extra numbers kept per parameter: {state}"

    # -----------------------------------------------------------------------------------------
    # attributes down

    def show_spec(self, text: str) -> None:
        """The stack in the spec line, unless the student is typing there."""
        spec = self.query_one("#builder-spec", Input)
        if not spec.has_focus:
            with self.prevent(Input.Changed):
                spec.value = text
                spec.cursor_position = 0  # show the start of the stack, not its end
                spec.remove_class("-invalid")

    def show_typed_spec(self, applied: bool, text: str) -> None:
        """After enter in the spec line: the stack it made, or the line marked invalid."""
        field = self.query_one("#builder-spec", Input)
        if applied:
            with self.prevent(Input.Changed):
                field.value = text
                field.cursor_position = 0
            field.remove_class("-invalid")
        else:
            field.add_class("-invalid")

    def show_shape(self, shape: Shape) -> None:
        """An input shape that came with a stack, in place of what the field holds."""
        field = self.query_one("#builder-input", Input)
        with self.prevent(Input.Changed):
            field.value = format_shape(shape)
        field.remove_class("-invalid")

    def show_preset(self, choice: str) -> None:
        self.preset_choice = choice
        self.query_one("#builder-preset", Select).value = choice

    # -----------------------------------------------------------------------------------------
    # messages up

    @on(Input.Submitted, "#builder-spec")
    def submit_spec(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.SpecSubmitted(event.value))

    @on(Input.Changed, "#builder-spec")
    def typing_a_spec(self, event: Input.Changed) -> None:
        event.stop()
        event.input.remove_class("-invalid")

    @on(Select.Changed, "#builder-preset")
    def pick_preset(self, event: Select.Changed) -> None:
        event.stop()
        if event.value == self.preset_choice or event.value != event.select.value:
            return  # the menu reporting its first value late, or a value set from here
        self.preset_choice = str(event.value)
        self.post_message(self.PresetPicked(str(event.value)))

    @on(Input.Changed, "#builder-input, #builder-batch")
    def sizes_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.SizesChanged())

    @on(Input.Submitted, "#builder-input, #builder-batch")
    def size_submitted(self, event: Input.Submitted) -> None:
        # applied as typed: enter changes nothing, and the keys stay in the field
        event.stop()

    @on(Select.Changed, "#builder-dtype, #builder-optimizer")
    def choices_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.ChoicesChanged())

    # -----------------------------------------------------------------------------------------
    # reading the fields

    def read_sizes(self) -> tuple[Shape, int]:
        """The input shape and batch; FieldError naming the field (marked invalid) when one
        holds something unusable."""
        shape_field = self.query_one("#builder-input", Input)
        batch_field = self.query_one("#builder-batch", Input)
        try:
            shape = parse_shape(shape_field.value)
        except StackError as exc:
            shape_field.add_class("-invalid")
            raise FieldError("input shape", exc.reason.removeprefix("input shape ")) from None
        shape_field.remove_class("-invalid")
        try:
            batch = read_whole("batch", batch_field.value)
        except FieldError:
            batch_field.add_class("-invalid")
            raise
        batch_field.remove_class("-invalid")
        return shape, batch

    def choices(self) -> tuple[str, str]:
        """The dtype and optimizer picked."""
        dtype = str(self.query_one("#builder-dtype", Select).value)
        optimizer = str(self.query_one("#builder-optimizer", Select).value)
        return dtype, optimizer
