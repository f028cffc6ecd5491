"""Pilot tests for the train form's fourth row: Adam's betas, the learning-rate schedule (with
the step schedule's 'every N x gamma'), augmentation, EMA weight averaging and the seed; what
they show from the settings the screen opens with, what config() reads from them, the field
named when a value cannot be used, and a short CPU run started with them."""

from __future__ import annotations

from itertools import pairwise

import pytest
from textual.widgets import Input, Label, Select
from train_pilot import SIZE, quick, screen_of, set_field, train_app, until_trained

from cnn_tui.app.screens.train import TrainScreen
from cnn_tui.core.training.train_config import Augment, OptimizerSettings
from cnn_tui.core.views.fields import FieldError


async def choose(pilot, field: str, value: str) -> None:
    screen_of(pilot).query_one(f"#train-{field}", Select).value = value
    await pilot.pause()


def text(screen: TrainScreen, field: str) -> str:
    return screen.query_one(f"#train-{field}", Input).value


def step_shown(screen: TrainScreen) -> bool:
    parts = list(screen.query(".train-step-part"))
    assert [type(part) for part in parts] == [Label, Input]
    shown = {part.display for part in parts}
    assert len(shown) == 1  # the label and its field come and go together
    return shown.pop()


# ---------------------------------------------------------------------------------------------
# what the fields start with


async def test_the_usual_settings_show_as_hints_and_read_back_unchanged():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        betas = screen.query_one("#train-betas", Input)
        assert (betas.value, betas.placeholder) == ("", "0.9,0.999")
        assert screen.query_one("#train-schedule", Select).value == "constant"
        assert not step_shown(screen)
        augment = screen.query_one("#train-augment", Input)
        assert (augment.value, augment.placeholder) == ("", "e.g. shift=2,flip")
        ema = screen.query_one("#train-ema", Input)
        assert (ema.value, ema.placeholder) == ("", "off")
        assert text(screen, "seed") == "0"
        assert screen.form.config() == quick()


async def test_the_settings_the_screen_opens_with_fill_the_fields():
    base = quick(
        optimizers=(OptimizerSettings("adam", lr=0.002, betas=(0.8, 0.99)),),
        schedule="step",
        step_epochs=2,
        gamma=0.3,
        augment=Augment(shift=2, flip=True, rotate=10.0, noise=0.1),
        ema_decay=0.995,
        seed=7,
    )
    async with train_app(base).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        assert text(screen, "betas") == "0.8,0.99"
        assert screen.query_one("#train-schedule", Select).value == "step"
        assert step_shown(screen)
        assert text(screen, "step") == "2x0.3"
        assert text(screen, "augment") == "shift=2,flip,rotate=10,noise=0.1"
        assert text(screen, "ema") == "0.995"
        assert text(screen, "seed") == "7"
        assert screen.form.config() == base  # nothing lost on the way through the fields


async def test_numbers_with_many_digits_go_through_the_fields_unrounded():
    base = quick(
        optimizers=(OptimizerSettings("adamw", betas=(0.912345678, 0.99987654321)),),
        schedule="step",
        gamma=0.123456789,
        augment=Augment(noise=0.0123456789),
        ema_decay=0.99951234,
    )
    async with train_app(base).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        assert text(screen, "step") == "1x0.123456789"
        assert text(screen, "ema") == "0.99951234"
        assert screen.form.config() == base


async def test_a_race_shows_the_betas_its_adam_entry_was_given():
    race = (
        OptimizerSettings("sgd", lr=0.1),
        OptimizerSettings("adam", lr=0.001, betas=(0.85, 0.99)),
    )
    async with train_app(quick(optimizers=race)).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        assert text(screen, "betas") == "0.85,0.99"
        chosen = screen.form.config().optimizers
        assert [(o.name, o.lr, o.betas) for o in chosen] == [
            ("sgd", 0.1, (0.85, 0.99)),
            ("adam", 0.001, (0.85, 0.99)),
        ]


# ---------------------------------------------------------------------------------------------
# what config() reads


async def test_every_new_field_reads_into_the_config():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        await choose(pilot, "optimizer", "adam")
        await set_field(pilot, "betas", "0.85, 0.995")
        await choose(pilot, "schedule", "cosine")
        await set_field(pilot, "augment", "shift=1, rotate=5, noise=0.05")
        await set_field(pilot, "ema", "0.95")
        await set_field(pilot, "seed", "42")
        config = screen.form.config()
        assert config.optimizers == (OptimizerSettings("adam", betas=(0.85, 0.995)),)
        assert config.schedule == "cosine"
        assert (config.step_epochs, config.gamma) == (1, 0.5)  # the hidden step field unread
        assert config.augment == Augment(shift=1, rotate=5.0, noise=0.05)
        assert config.ema_decay == 0.95
        assert config.seed == 42
        assert config.limit_train == 256  # still the screen's own

        await choose(pilot, "schedule", "step")
        assert step_shown(screen)
        await set_field(pilot, "step", "3x0.2")
        config = screen.form.config()
        assert (config.schedule, config.step_epochs, config.gamma) == ("step", 3, 0.2)
        await set_field(pilot, "step", "4 * 0.75")
        assert (screen.form.config().step_epochs, screen.form.config().gamma) == (4, 0.75)
        await choose(pilot, "schedule", "onecycle")
        assert not step_shown(screen)
        assert screen.form.config().schedule == "onecycle"

        # in a race the betas go to every entry, like the weight decay
        await set_field(pilot, "race", "sgd,adam:0.01")
        await set_field(pilot, "decay", "0.001")
        config = screen.form.config()
        assert [(o.name, o.betas, o.weight_decay) for o in config.optimizers] == [
            ("sgd", (0.85, 0.995), 0.001),
            ("adam", (0.85, 0.995), 0.001),
        ]

        # empty fields: the usual betas, no augmentation, no averaging
        for field in ("race", "betas", "augment", "ema"):
            await set_field(pilot, field, "")
        config = screen.form.config()
        assert config.optimizers[0].betas == (0.9, 0.999)
        assert config.augment == Augment()
        assert config.ema_decay is None
        await set_field(pilot, "augment", "none")
        assert screen.form.config().augment == Augment()


async def test_a_hidden_step_field_is_not_read():
    async with train_app(quick()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        await set_field(pilot, "step", "nonsense")
        assert screen.form.config().schedule == "constant"
        await choose(pilot, "schedule", "step")
        with pytest.raises(FieldError) as caught:
            screen.form.config()
        assert caught.value.field == "every"


@pytest.mark.parametrize(
    ("field", "value", "named", "message"),
    [
        ("betas", "0.9", "β", "β: betas are two numbers like 0.9,0.999, got '0.9'"),
        ("betas", "1,0.5", "β", "β: betas must be in [0, 1), like 0.9,0.999, got '1,0.5'"),
        ("step", "2", "every", "every: expected epochs x gamma, like 2x0.5, got '2'"),
        ("step", "0x0.5", "every", "every: must be at least 1, got 0"),
        ("step", "2x1.5", "every", "every: gamma must be more than 0 and at most 1, got 1.5"),
        ("step", "2x0", "every", "every: gamma must be more than 0 and at most 1, got 0"),
        ("augment", "spin=3", "aug", "aug: augmentation 'spin' is not one of shift, flip"),
        ("augment", "shift", "aug", "aug: augmentation shift needs a value, e.g. shift=2"),
        ("augment", "rotate=270", "aug", "aug: rotation of 270.0 degrees: use at most 180"),
        ("ema", "1", "ema", "ema: must be between 0 and 1 (not either), e.g. 0.99, got 1"),
        ("ema", "0", "ema", "ema: must be between 0 and 1 (not either), e.g. 0.99, got 0"),
        ("ema", "often", "ema", "ema: expected a number, got 'often'"),
        ("seed", "-1", "seed", "seed: must be at least 0, got -1"),
        ("seed", "1.5", "seed", "seed: expected a whole number, got '1.5'"),
        ("seed", "", "seed", "seed: expected a whole number, got nothing"),
    ],
)
async def test_a_bad_value_is_named(field, value, named, message):
    async with train_app(quick(schedule="step")).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        await set_field(pilot, field, value)
        with pytest.raises(FieldError) as caught:
            screen.form.config()
        assert caught.value.field == named
        assert str(caught.value).startswith(message)
        await pilot.press("escape", "ctrl+r")
        assert screen.message_text.startswith(message)
        assert screen.note[1] == "error"
        assert screen.query_one("#train-message").has_class("-error")
        assert screen.worker is None  # nothing started


# ---------------------------------------------------------------------------------------------
# a run with them


async def test_a_run_started_from_the_form_uses_the_schedule_augmentation_ema_and_seed():
    async with train_app(quick(epochs=2)).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        await choose(pilot, "schedule", "cosine")
        await set_field(pilot, "augment", "shift=1")
        await set_field(pilot, "ema", "0.9")
        await set_field(pilot, "seed", "3")
        await pilot.press("ctrl+r")
        screen = await until_trained(pilot)
        assert screen.result is not None
        config = screen.result.config
        assert (config.schedule, config.augment, config.ema_decay, config.seed) == (
            "cosine",
            Augment(shift=1),
            0.9,
            3,
        )
        (run,) = screen.result.runs
        assert (run.status, run.epochs, run.steps) == ("done", 2, 16)
        assert run.ema_test_accuracy is not None and 0 <= run.ema_test_accuracy <= 1
        assert run.test_accuracy is not None
        points = screen.metrics.points("sgd")
        assert points[-1].kind == "done"
        rates = [point.lr for point in points if point.lr is not None]
        # cosine: from sgd's 0.01 down to zero at the last step, never rising on the way
        assert rates[0] == pytest.approx(0.01)
        assert rates[-1] == pytest.approx(0.0, abs=1e-12)
        assert all(later <= earlier for earlier, later in pairwise(rates))
        assert any(point.ema_accuracy is not None for point in points if point.kind == "test")
