"""TrainForm: the train screen's settings (stack, data, optimizer or race, batch, epochs, device,
betas, schedule, augmentation, weight averaging, seed) read into a TrainConfig, with the field at
fault named when a value cannot be used."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Select

from ....core.stacks.shapes import Shape, StackError, format_shape, parse_shape
from ....core.stacks.zoo import resolve_stack
from ....core.training.train_config import (
    MAX_CPU_THREADS,
    ConfigError,
    OptimizerSettings,
    TrainConfig,
    parse_augment,
    parse_betas,
    parse_race,
)
from ....core.views.fields import FieldError, read_whole
from .model_row import TrainModelRow
from .optimizer_row import TrainOptimizerRow
from .run_row import TrainRunRow
from .schedule_row import DEFAULT_BETAS, TrainScheduleRow


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
    # layout and the student's edits (each row keeps its own fields in step)

    def compose(self) -> ComposeResult:
        yield TrainModelRow(self.base)
        yield TrainOptimizerRow(self.base)
        yield TrainRunRow(self.base)
        yield TrainScheduleRow(self.base)

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
        threads = read_whole("threads", self.text_of("threads"), maximum=MAX_CPU_THREADS)
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
                cpu_threads=threads,
                download=self.query_one("#train-download", Checkbox).value,
            )
        except ConfigError as exc:
            raise FieldError("settings", str(exc)) from None
