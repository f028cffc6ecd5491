"""TrainScheduleRow: the train form's fourth row, Adam's betas, the learning-rate schedule (with
the step schedule's own field), augmentation, weight averaging and the seed."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select

from ....core.training.train_config import (
    SCHEDULES,
    OptimizerSettings,
    TrainConfig,
    format_augment,
    format_betas,
    format_number,
)

DEFAULT_BETAS = OptimizerSettings().betas
"""Adam's usual betas: the betas field's grey hint, and what an empty field means."""


def betas_of(config: TrainConfig) -> tuple[float, float]:
    """The betas a configuration trains with: the first entry's that are not the usual ones
    (a race from the command line may give them to its Adam entry only)."""
    return next((o.betas for o in config.optimizers if o.betas != DEFAULT_BETAS), DEFAULT_BETAS)


class TrainScheduleRow(Horizontal):
    """β, schedule (and every N x gamma for 'step'), aug, ema and seed."""

    def __init__(self, base: TrainConfig) -> None:
        super().__init__(classes="train-row")
        self.base = base
        """The settings the fields start from."""

    def compose(self) -> ComposeResult:
        base = self.base
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

    @on(Select.Changed, "#train-schedule")
    def show_step_field(self, event: Select.Changed) -> None:
        event.stop()
        for part in self.query(".train-step-part"):
            part.display = event.value == "step"
