"""TrainForm: the train screen's settings (stack, data, optimizer or race, batch, epochs, device,
betas, schedule, augmentation, weight averaging, seed) read into a TrainConfig, with the field at
fault named when a value cannot be used."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Select

from ....core.stacks.shapes import Shape, StackError, format_shape, parse_shape
from ....core.stacks.zoo import PRESETS, resolve_stack
from ....core.training.data import DATASETS, DatasetInfo
from ....core.training.train_config import (
    DEFAULT_LR,
    DEVICES,
    MAX_RACE,
    OPTIMIZERS,
    SCHEDULES,
    ConfigError,
    OptimizerSettings,
    TrainConfig,
    format_augment,
    format_betas,
    format_number,
    parse_augment,
    parse_betas,
    parse_race,
)
from ....core.views.fields import FieldError, read_whole

DEFAULT_BETAS = OptimizerSettings().betas
"""Adam's usual betas: the betas field's grey hint, and what an empty field means."""

TYPED = "typed"
"""The model menu's entry for a stack typed in the spec field or handed over by the builder."""


def dataset_words(info: DatasetInfo) -> str:
    """'mnist: MNIST, 1x28x28, 10 classes': one dataset of the engine's list, for the tooltip."""
    return f"{info.name}: {info.title}, {format_shape(info.shape)}, {len(info.labels)} classes"


@dataclass(frozen=True)
class StackChoice:
    """What the model fields hold: the text the engine resolves and an optional input shape."""

    model: str
    """A preset name, a .json stack file or a one-line spec."""
    input_shape: tuple[int, int, int] | None
    """Overrides the stack's own input; None keeps it."""


def read_number(field: str, text: str, *, low: float = 0.0, below: float | None = None) -> float:
    """A number >= low (and < below); a FieldError naming the field otherwise."""
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        raise FieldError(field, f"expected a number, got {value!r}") from None
    if not math.isfinite(number) or number < low or (below is not None and number >= below):
        limit = f"from {low:g} up to (not including) {below:g}" if below else f"{low:g} or more"
        raise FieldError(field, f"must be {limit}, got {value}")
    return number


def read_optional(field: str, text: str, **limits: float) -> float | None:
    """Like read_number, but an empty field means 'the optimizer's usual value' (None)."""
    return read_number(field, text, **limits) if text.strip() else None


def read_decay(field: str, text: str) -> float | None:
    """A decay strictly between 0 and 1 (like EMA's 0.99); empty means 'off' (None)."""
    value = text.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise FieldError(field, f"expected a number, got {value!r}") from None
    if not (math.isfinite(number) and 0 < number < 1):
        raise FieldError(field, f"must be between 0 and 1 (not either), e.g. 0.99, got {value}")
    return number


def read_step(field: str, text: str) -> tuple[int, float]:
    """'2x0.5' (or '2*0.5', '2 x 0.5') -> every 2 epochs multiply the rate by 0.5."""
    value = text.strip()
    epochs, sep, gamma = value.lower().replace("*", "x").replace("×", "x").partition("x")
    if not sep:
        raise FieldError(field, f"expected epochs x gamma, like 2x0.5, got {value!r}")
    every = read_whole(field, epochs)
    factor = read_number(field, gamma)
    if factor == 0 or factor > 1:
        raise FieldError(field, f"gamma must be more than 0 and at most 1, got {gamma.strip()}")
    return every, factor


def betas_of(config: TrainConfig) -> tuple[float, float]:
    """The betas a configuration trains with: the first entry's that are not the usual ones
    (a race from the command line may give them to its Adam entry only)."""
    return next((o.betas for o in config.optimizers if o.betas != DEFAULT_BETAS), DEFAULT_BETAS)


def read_input_shape(text: str) -> tuple[int, int, int] | None:
    """'1x28x28' -> (1, 28, 28); empty -> None (the stack's own input)."""
    if not text.strip():
        return None
    try:
        shape = parse_shape(text)
    except StackError as exc:
        raise FieldError("input", exc.reason) from None
    if len(shape) != 3:
        raise FieldError("input", f"images need CxHxW, like 1x28x28, not {text.strip()!r}")
    return shape  # type: ignore[return-value]


class TrainForm(Vertical):
    """Four rows of settings and a Start button; `config()` reads them into a TrainConfig."""

    @dataclass
    class StartPressed(Message):
        """The student asked to start: the Start button, or enter in a field."""

        form: TrainForm

        @property
        def control(self) -> TrainForm:
            return self.form

    def __init__(
        self,
        base: TrainConfig,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.base = base
        """The settings the form starts from; those without a field (limit train, data folder,
        eval and log intervals, ...) go into every run as they are."""

    # -----------------------------------------------------------------------------------------
    # layout

    def compose(self) -> ComposeResult:
        base = self.base
        single = base.optimizers[0]
        model_choice = base.model if base.model in PRESETS else TYPED
        with Horizontal(classes="train-row"):
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
            yield Button(
                "Start",
                variant="primary",
                compact=True,
                id="train-start",
                tooltip="Start training with these settings (ctrl+r, or enter in a field)",
            )
        with Horizontal(classes="train-row"):
            yield Label("data", classes="train-label")
            yield Select(
                [(name, name) for name in DATASETS],
                value=base.dataset if base.dataset in DATASETS else "digits",
                allow_blank=False,
                compact=True,
                id="train-dataset",
                tooltip="; ".join(dataset_words(info) for info in DATASETS.values()),
            )
            yield Label("optimizer", classes="train-label")
            yield Select(
                [(name, name) for name in OPTIMIZERS],
                value=single.name,
                allow_blank=False,
                compact=True,
                id="train-optimizer",
                tooltip="; ".join(f"{name}: {title}" for name, title in OPTIMIZERS.items()),
            )
            yield Label("lr", classes="train-label")
            yield Input(
                # in a race each entry carries its own rate in the race field
                f"{single.lr:g}" if single.lr is not None and not base.is_race else "",
                placeholder=f"{DEFAULT_LR[single.name]:g}",
                compact=True,
                select_on_focus=True,
                id="train-lr",
                tooltip="Learning rate (empty: the optimizer's usual rate, shown grey)",
            )
            yield Label("mom", classes="train-label")
            yield Input(
                f"{single.momentum:g}" if single.momentum is not None else "",
                placeholder=self._momentum_hint(single.name),
                compact=True,
                select_on_focus=True,
                id="train-momentum",
                tooltip="Momentum in [0, 1): SGD variants and RMSProp (empty: the usual value)",
            )
            yield Label("wd", classes="train-label")
            yield Input(
                f"{single.weight_decay:g}",
                compact=True,
                select_on_focus=True,
                id="train-decay",
                tooltip="Weight decay (L2 penalty), 0 or more",
            )
        with Horizontal(classes="train-row"):
            yield Label("race", classes="train-label")
            yield Input(
                ",".join(
                    f"{o.name}:{o.lr:g}" if o.lr is not None else o.name for o in base.optimizers
                )
                if base.is_race
                else "",
                placeholder="e.g. sgd,adam",
                compact=True,
                id="train-race",
                tooltip=f"Race 2 to {MAX_RACE} optimizers from the same initial weights: names "
                "separated by commas, a rate after a colon (sgd:0.1,adam); empty trains the "
                "optimizer above",
            )
            yield Label("batch", classes="train-label")
            yield Input(
                str(base.batch_size),
                compact=True,
                select_on_focus=True,
                id="train-batch",
                tooltip="Images per optimizer step",
            )
            yield Label("epochs", classes="train-label")
            yield Input(
                str(base.epochs),
                compact=True,
                select_on_focus=True,
                id="train-epochs",
                tooltip="Passes over the training set",
            )
            yield Label("device", classes="train-label")
            yield Select(
                [(name, name) for name in DEVICES],
                value=base.device,
                allow_blank=False,
                compact=True,
                id="train-device",
                tooltip="auto: the GPU (cuda), then Apple's mps, then the cpu",
            )
            yield Checkbox(
                "download",
                base.download,
                compact=True,
                id="train-download",
                tooltip="Fetch MNIST, Fashion-MNIST or CIFAR-10 from the internet when they "
                "are not on disk yet (digits ships with scikit-learn)",
            )
        with Horizontal(classes="train-row"):
            betas = betas_of(base)
            yield Label("β", classes="train-label")
            yield Input(
                format_betas(betas) if betas != DEFAULT_BETAS else "",
                placeholder=format_betas(DEFAULT_BETAS),
                compact=True,
                select_on_focus=True,
                id="train-betas",
                tooltip="Adam's betas β1,β2, each in [0, 1): how slowly its running mean of "
                "the gradients and of their squares forget (empty: 0.9,0.999); in a race, "
                "every Adam entry",
            )
            yield Label("sched", classes="train-label")
            yield Select(
                [(name, name) for name in SCHEDULES],
                value=base.schedule,
                allow_blank=False,
                compact=True,
                id="train-schedule",
                tooltip="How the learning rate changes over the run: "
                + "; ".join(f"{name}: {text}" for name, text in SCHEDULES.items()),
            )
            step_shown = base.schedule == "step"
            every = Label("every", classes="train-label train-step-part")
            every.display = step_shown
            yield every
            step = Input(
                f"{base.step_epochs}x{format_number(base.gamma)}",
                placeholder="2x0.5",
                compact=True,
                select_on_focus=True,
                id="train-step",
                classes="train-step-part",
                tooltip="The 'step' schedule: every N epochs multiply the rate by gamma, typed "
                "N x gamma (2x0.5 halves it every 2 epochs); gamma in (0, 1]",
            )
            step.display = step_shown
            yield step
            yield Label("aug", classes="train-label")
            yield Input(
                format_augment(base.augment),
                placeholder="e.g. shift=2,flip",
                compact=True,
                id="train-augment",
                tooltip="Augment each training batch: shift=N pixels, flip (left-right), "
                "rotate=degrees, noise=σ, separated by commas (shift=2,flip,rotate=10,"
                "noise=0.1); empty: none",
            )
            yield Label("ema", classes="train-label")
            yield Input(
                format_number(base.ema_decay) if base.ema_decay is not None else "",
                placeholder="off",
                compact=True,
                select_on_focus=True,
                id="train-ema",
                tooltip="Polyak averaging: also test an exponential moving average of the "
                "weights with this decay, in (0, 1), e.g. 0.99 (empty: off)",
            )
            yield Label("seed", classes="train-label")
            yield Input(
                str(base.seed),
                compact=True,
                select_on_focus=True,
                id="train-seed",
                tooltip="Random seed (a whole number, 0 or more): the same seed gives the same "
                "initial weights and batch order",
            )

    @staticmethod
    def _momentum_hint(optimizer: str) -> str:
        return "0.9" if optimizer in ("momentum", "nesterov") else "0"

    # -----------------------------------------------------------------------------------------
    # the student's edits

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

    @on(Select.Changed, "#train-optimizer")
    def show_usual_values(self, event: Select.Changed) -> None:
        event.stop()
        name = str(event.value)
        self.query_one("#train-lr", Input).placeholder = f"{DEFAULT_LR[name]:g}"
        self.query_one("#train-momentum", Input).placeholder = self._momentum_hint(name)

    @on(Select.Changed, "#train-schedule")
    def show_step_field(self, event: Select.Changed) -> None:
        event.stop()
        for part in self.query(".train-step-part"):
            part.display = event.value == "step"

    @on(Input.Submitted)
    @on(Button.Pressed, "#train-start")
    def ask_to_start(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.post_message(self.StartPressed(self))

    # -----------------------------------------------------------------------------------------
    # reading and writing

    def text_of(self, field: str) -> str:
        return self.query_one(f"#train-{field}", Input).value

    def choice_of(self, field: str) -> str:
        return str(self.query_one(f"#train-{field}", Select).value)

    def use_stack(self, model: str, input_shape: Shape | None) -> None:
        """Put a stack (spec, preset name or file) and its input shape in the model fields."""
        self.query_one("#train-model", Input).value = model
        shape = self.query_one("#train-input", Input)
        shape.value = format_shape(input_shape) if input_shape else ""
        self.query_one("#train-model", Input).cursor_position = 0

    def stack_choice(self) -> StackChoice:
        """The model fields, checked: the stack must parse and fit its input."""
        model = self.text_of("model").strip()
        if not model:
            raise FieldError("model", "type a preset name, layers or a .json file")
        shape = read_input_shape(self.text_of("input"))
        try:
            resolve_stack(model, shape).output_shape()
        except StackError as exc:
            raise FieldError("model", exc.describe()) from None
        except OSError as exc:
            raise FieldError("model", f"{model}: {exc.strerror or exc}") from None
        return StackChoice(model, shape)

    def optimizers(self) -> tuple[OptimizerSettings, ...]:
        lr = read_optional("lr", self.text_of("lr"), low=1e-12)
        momentum = read_optional("mom", self.text_of("momentum"), below=1.0)
        decay_text = self.text_of("decay")
        decay = read_number("wd", decay_text) if decay_text.strip() else 0.0
        betas_text = self.text_of("betas")
        try:
            betas = parse_betas(betas_text) if betas_text.strip() else DEFAULT_BETAS
        except ConfigError as exc:
            raise FieldError("β", str(exc)) from None
        # like weight decay, the betas go to every entry of a race (only Adam's use them)
        common: dict[str, object] = {"weight_decay": decay, "betas": betas}
        if momentum is not None:
            common["momentum"] = momentum
        race = self.text_of("race").strip()
        try:
            if not race:
                return (OptimizerSettings(self.choice_of("optimizer"), lr=lr, **common),)  # type: ignore[arg-type]
            one = "leave race empty to train the one optimizer picked above"
            chosen = parse_race(race, lr, one=one, **common)  # type: ignore[arg-type]
            TrainConfig(optimizers=chosen)  # checks the race's size and names
            return chosen
        except ConfigError as exc:
            raise FieldError("race" if race else "optimizer", str(exc)) from None

    def config(self) -> TrainConfig:
        """Every field read and checked; raises FieldError naming the first one at fault."""
        stack = self.stack_choice()
        optimizers = self.optimizers()
        batch = read_whole("batch", self.text_of("batch"))
        epochs = read_whole("epochs", self.text_of("epochs"))
        schedule = self.choice_of("schedule")
        step_epochs, gamma = self.base.step_epochs, self.base.gamma
        if schedule == "step":
            step_epochs, gamma = read_step("every", self.text_of("step"))
        try:
            augment = parse_augment(self.text_of("augment"))
        except ConfigError as exc:
            raise FieldError("aug", str(exc)) from None
        ema = read_decay("ema", self.text_of("ema"))
        seed = read_whole("seed", self.text_of("seed"), minimum=0)
        try:
            return replace(
                self.base,
                model=stack.model,
                input_shape=stack.input_shape,
                dataset=self.choice_of("dataset"),
                optimizers=optimizers,
                batch_size=batch,
                epochs=epochs,
                device=self.choice_of("device"),
                schedule=schedule,
                step_epochs=step_epochs,
                gamma=gamma,
                augment=augment,
                ema_decay=ema,
                seed=seed,
                download=self.query_one("#train-download", Checkbox).value,
            )
        except ConfigError as exc:
            raise FieldError("settings", str(exc)) from None
