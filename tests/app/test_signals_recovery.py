"""Pilot tests for SIGTERM and SIGHUP in the app: it quits at once without asking (there may
be no terminal to answer), status 143 / 129, the builder's unsaved edits kept in the recovery
file; the next start offers that stack back, and reopening it restores it, marked unsaved."""

from __future__ import annotations

import os
import signal

import pytest
from pilot_waits import wait_for
from train_pilot import long_run, train_app

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.builder import BuilderScreen
from cnn_tui.app.screens.train import TrainScreen
from cnn_tui.app.widgets.common.quit_confirm import QuitConfirm
from cnn_tui.app.widgets.common.recovery_offer import RecoveryOffer
from cnn_tui.core.stacks.recovery import load_recovery, save_recovery
from cnn_tui.core.stacks.stack_file import load_stack, save_stack
from cnn_tui.core.stacks.zoo import resolve_stack

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")

SIZE = (110, 40)
EDITED = resolve_stack("seed-mnist").layers[1:]
"""seed-mnist with its first layer deleted."""


def ours(number: int) -> bool:
    """Whether the app took the signal (else sending it would end the test run itself)."""
    return signal.getsignal(number) not in (signal.SIG_DFL, signal.SIG_IGN, None)


async def delete_first_layer(pilot) -> BuilderScreen:
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, BuilderScreen)
    await pilot.press("escape", "down", "d")
    await pilot.pause()
    assert screen.layers == EDITED and screen.has_unsaved_edits
    return screen


async def send(pilot, number: int) -> None:
    assert ours(number)
    os.kill(os.getpid(), number)
    await wait_for(pilot, lambda: not pilot.app.is_running, seconds=30)


@pytest.fixture
def mnist_file(tmp_path):
    path = tmp_path / "mine.json"
    save_stack(resolve_stack("seed-mnist"), path)
    return path


async def test_sigterm_keeps_the_unsaved_stack_and_exits_143(
    tmp_path, mnist_file, own_recovery_file
):
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)
    app = CnnTuiApp(mode="builder", builder_stack=str(mnist_file))
    async with app.run_test(size=SIZE) as pilot:
        await delete_first_layer(pilot)
        await send(pilot, signal.SIGTERM)
        assert not isinstance(app.screen, QuitConfirm)  # no question was asked
    assert app.return_code == 143
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == before
    assert app.exit_note == (
        f"cnn-tui: SIGTERM: the builder's unsaved stack is kept in {own_recovery_file}; the next "
        "start offers it"
    )
    recovered = load_recovery(own_recovery_file)
    assert recovered is not None
    assert (recovered.stack.layers, recovered.stack.name) == (EDITED, "seed-mnist")
    assert recovered.source == mnist_file
    assert load_stack(own_recovery_file).layers == EDITED  # a stack file the builder can open
    assert load_stack(mnist_file).layers == resolve_stack("seed-mnist").layers  # not touched


async def test_sighup_quits_even_while_the_quit_question_waits(own_recovery_file):
    app = CnnTuiApp(mode="builder", builder_stack="seed-mnist")
    async with app.run_test(size=SIZE) as pilot:
        await delete_first_layer(pilot)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitConfirm))
        await send(pilot, signal.SIGHUP)  # nobody there to answer it
    assert app.return_code == 129
    recovered = load_recovery(own_recovery_file)
    assert recovered is not None and recovered.stack.layers == EDITED
    assert recovered.source is None


async def test_a_signal_with_nothing_unsaved_writes_no_recovery_file(own_recovery_file):
    app = CnnTuiApp(mode="builder", builder_stack="seed-mnist")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await send(pilot, signal.SIGTERM)
    assert (app.return_code, app.exit_note) == (143, "")
    assert not own_recovery_file.exists()


async def test_a_signal_stops_a_training_run(own_recovery_file, point_arrivals):
    app = train_app(long_run())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        await wait_for(pilot, lambda: bool(screen.metrics.points("sgd", "train")))
        worker = screen.worker
        await send(pilot, signal.SIGTERM)
    assert app.return_code == 143
    assert worker is not None and worker.cancelled_event.is_set()
    # the engine ends within a batch of seeing the event, and logs it
    assert point_arrivals.wait(lambda: bool(screen.metrics.points("sgd", "stopped")))


def kept(own_recovery_file, mnist_file):
    stack = resolve_stack("seed-mnist")
    stack = type(stack)(EDITED, stack.input_shape, "seed-mnist", stack.description)
    save_recovery(stack, mnist_file, own_recovery_file)
    return stack


def offer_shown(app: CnnTuiApp) -> bool:
    """The recovery offer is up and composed (pushing it comes a turn before its text)."""
    return isinstance(app.screen, RecoveryOffer) and bool(app.screen.query("#recovery-offer-text"))


async def test_the_next_start_offers_the_stack_and_reopens_it(own_recovery_file, mnist_file):
    stack = kept(own_recovery_file, mnist_file)
    app = CnnTuiApp(mode="stepper")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: offer_shown(app))
        text = str(app.screen.query_one("#recovery-offer-text").render())
        assert text.startswith(
            f"When cnn-tui was last stopped by a signal, the stack 'seed-mnist' (from "
            f"{mnist_file}) had unsaved edits; they were kept in {own_recovery_file}."
        )
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, BuilderScreen))
        builder = app.screen
        assert isinstance(builder, BuilderScreen)
        assert builder.layers == EDITED and builder.input_shape == stack.input_shape
        assert builder.has_unsaved_edits and builder.sub_title == "seed-mnist, edited"
        assert builder.saved_path == mnist_file  # ctrl+s offers its own file
        assert builder.message_text == (
            f"reopened the unsaved stack (from {mnist_file}; ctrl+s saves it there)"
        )
        assert not own_recovery_file.exists()
        await pilot.press("q")  # still unsaved: quitting asks
        await wait_for(pilot, lambda: isinstance(app.screen, QuitConfirm))


async def test_declining_sets_the_file_aside_and_it_is_not_offered_again(
    own_recovery_file, mnist_file
):
    kept(own_recovery_file, mnist_file)
    aside = own_recovery_file.with_name("builder-recovery.set-aside-1.json")
    app = CnnTuiApp(mode="builder")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: offer_shown(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not own_recovery_file.exists())
        assert isinstance(app.screen, BuilderScreen) and app.screen.layers == ()
        [note] = list(app._notifications)
        assert note.message == f"the kept stack is now {aside}: the builder's ctrl+o opens it"
    assert load_stack(aside).layers == EDITED
    again = CnnTuiApp(mode="builder")
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert isinstance(again.screen, BuilderScreen)


async def test_an_unreadable_recovery_file_is_set_aside_and_reported(own_recovery_file):
    own_recovery_file.parent.mkdir(parents=True)
    own_recovery_file.write_text("{ not json")
    aside = own_recovery_file.with_name("builder-recovery.set-aside-1.json")
    app = CnnTuiApp(mode="builder")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: not own_recovery_file.exists())
        assert isinstance(app.screen, BuilderScreen)
        [note] = list(app._notifications)
        assert note.message == (
            f"recovery file {own_recovery_file}, line 1: Expecting property name enclosed in "
            f"double quotes (column 3): the kept stack is now {aside}: the builder's ctrl+o "
            "opens it"
        )
    assert aside.read_text() == "{ not json"
