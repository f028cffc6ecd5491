"""TrainModelRow: the train form's first row, the stack to train (a preset or typed layers),
its input shape and the Start button."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Select

from ....core.stacks.shapes import format_shape
from ....core.stacks.zoo import PRESETS
from ....core.training.train_config import TrainConfig

TYPED = "typed"
"""The model menu's entry for a stack typed in the spec field or handed over by the builder."""


class TrainModelRow(Horizontal):
    """The model menu and spec field (kept in step), the input shape, the CPU threads and
    Start."""

    def __init__(self, base: TrainConfig) -> None:
        super().__init__(classes="train-row")
        self.base = base
        """The settings the fields start from."""

    def compose(self) -> ComposeResult:
        base = self.base
        model_choice = base.model if base.model in PRESETS else TYPED
        yield Label("model", classes="train-label")
        yield Select(
            [(TYPED, TYPED), *((name, name) for name in PRESETS)],
            value=model_choice,
            allow_blank=False,
            compact=True,
            id="train-preset",
            tooltip="A network from the zoo; 'typed' trains the spec field's layers",
        )
        yield Input(
            base.model,
            placeholder="a preset, layers like conv(8,3) relu flatten fc(10), or a .json file",
            compact=True,
            id="train-model",
            tooltip="What to train: a preset name, a one-line spec or a stack .json file",
        )
        yield Label("input", classes="train-label")
        yield Input(
            format_shape(base.input_shape) if base.input_shape else "",
            placeholder="its own",
            compact=True,
            select_on_focus=True,
            id="train-input",
            tooltip="Input shape CxHxW; the dataset is served at this size (empty: the "
            "stack's own)",
        )
        yield Label("threads", classes="train-label")
        yield Input(
            str(base.cpu_threads),
            compact=True,
            select_on_focus=True,
            id="train-threads",
            tooltip="CPU threads torch computes with during the run (1 leaves a core for "
            "this app; the count changes the last digits, so the CLI's --threads gives the "
            "same numbers with the same count)",
        )
        yield Button(
            "Start",
            variant="primary",
            compact=True,
            id="train-start",
            tooltip="Start training with these settings (ctrl+r, or enter in a field)",
        )

    @on(Select.Changed, "#train-preset")
    def fill_in_preset(self, event: Select.Changed) -> None:
        event.stop()
        if event.value != TYPED:
            model = self.query_one("#train-model", Input)
            if model.value != event.value:
                with self.prevent(Input.Changed):
                    model.value = str(event.value)
            self.query_one("#train-input", Input).value = ""  # the preset's own input

    @on(Input.Changed, "#train-model")
    def follow_typed_model(self, event: Input.Changed) -> None:
        event.stop()
        text = event.value.strip()
        choice = text if text in PRESETS else TYPED
        preset = self.query_one("#train-preset", Select)
        if preset.value != choice:
            with self.prevent(Select.Changed):
                preset.value = choice
