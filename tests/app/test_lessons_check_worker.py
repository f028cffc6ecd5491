"""Pilot tests: an answer is checked by a thread worker, so the lessons screen keeps answering
keys (the list toggles, a lesson is marked done, ctrl+q quits) while a slow check is in flight,
and the verdict arrives once the worker is done."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import Input, Static

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.widgets.lessons import exercise as lesson_exercise
from cnn_tui.app.widgets.lessons.exercise import ExerciseCard

SIZE = (100, 40)


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("CNN_TUI_PROGRESS", str(path))
    return path


@pytest.fixture
def gate(monkeypatch):
    """Checks (and reveals) wait for gate.set(); which thread ran each is recorded."""
    opened = threading.Event()
    opened.threads = []  # type: ignore[attr-defined]
    real_mark, real_expected = lesson_exercise.mark, lesson_exercise.expected_text

    def gated(real):
        def run(*args, **kwargs):
            opened.threads.append(threading.current_thread())  # type: ignore[attr-defined]
            assert opened.wait(10), "the test never opened the gate"
            return real(*args, **kwargs)

        return run

    monkeypatch.setattr(lesson_exercise, "mark", gated(real_mark))
    monkeypatch.setattr(lesson_exercise, "expected_text", gated(real_expected))
    yield opened
    opened.set()  # never leave a worker thread waiting


def verdict_of(exercise: ExerciseCard) -> Static:
    return exercise.query_one(".exercise-verdict", Static)


async def type_answer(pilot, exercise_id: str, text: str) -> ExerciseCard:
    exercise = pilot.app.screen.query_one(f"#exercise-{exercise_id}", ExerciseCard)
    field = exercise.query_one(Input)
    field.focus()
    field.value = text
    await pilot.press("enter")
    await pilot.pause()
    return exercise


def answer_workers(app: CnnTuiApp) -> list:
    return [w for w in app.workers if w.group == "exercise-answer" and not w.is_finished]


async def test_a_check_runs_in_a_worker_and_the_screen_keeps_answering(gate, progress_file):
    app = CnnTuiApp(mode="lessons", lesson="3")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        exercise = await type_answer(pilot, "seed-cell", "2")
        line = verdict_of(exercise)
        assert str(line.render()) == "checking…"
        assert exercise.checking and line.has_class("pending")
        (worker,) = answer_workers(app)
        assert worker.node is exercise and not worker.is_finished
        # the check is blocked in its thread; keys are still handled meanwhile
        screen.query_one("#lesson-reader").focus()
        await pilot.press("l")
        await pilot.pause()
        assert not screen.query_one("#lessons-side").display
        await pilot.press("d")
        await pilot.pause()
        assert screen.progress.of("lessons", "03-convolution-2d").done
        assert str(line.render()) == "checking…"
        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert str(line.render()) == "✓ right: 2"
        assert not exercise.checking and line.has_class("right")
        assert exercise.passed
        assert gate.threads and gate.threads[0] is not threading.main_thread()
    assert '"seed-cell"' in progress_file.read_text()


async def test_a_newer_check_replaces_one_still_running_and_reveal_is_a_worker_too(gate):
    app = CnnTuiApp(mode="lessons", lesson="3")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        exercise = await type_answer(pilot, "seed-cell", "3")
        exercise = await type_answer(pilot, "seed-cell", "2")
        other = app.screen.query_one("#exercise-full-cell", ExerciseCard)
        other.reveal()
        await pilot.pause()
        assert str(verdict_of(other).render()) == "working out the answer…"
        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        # the first check's '3 is too high' is dropped: only the latest answer is judged
        assert str(verdict_of(exercise).render()) == "✓ right: 2"
        assert exercise.tries == 1
        assert str(verdict_of(other).render()) == "The answer: 6"
        assert not other.passed  # revealing is not passing


async def test_ctrl_q_quits_while_a_check_is_in_flight(gate):
    app = CnnTuiApp(mode="lessons", lesson="3")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_answer(pilot, "seed-cell", "2")
        assert answer_workers(app)
        await pilot.press("ctrl+q")
        await pilot.pause()
        # the app has quit while the check is still blocked in its thread
        assert not app.is_running and app.return_code == 0
        assert not gate.is_set()
        gate.set()


async def test_a_task_is_checked_in_a_worker(monkeypatch):
    checked_on = []
    real = lesson_exercise.check_task

    def recording(*args, **kwargs):
        checked_on.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(lesson_exercise, "check_task", recording)
    app = CnnTuiApp(mode="lessons", lesson="7")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        task = app.screen.query_one("#exercise-small-cnn", ExerciseCard)
        task.check()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert str(verdict_of(task).render()).startswith("✗ the builder has no stack yet")
        assert checked_on and checked_on[0] is not threading.main_thread()
