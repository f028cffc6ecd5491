"""Pilot tests: text from lesson and stack files is shown as written, never read as markup, with
its control characters shown as escapes (issue 12, item 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Static

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.builder import BuilderScreen
from cnn_tui.app.screens.lessons import LessonsScreen
from cnn_tui.app.screens.stepper import StepperScreen
from cnn_tui.app.screens.train import TrainScreen
from cnn_tui.app.widgets.builder.export_dialog import ExportDialog
from cnn_tui.app.widgets.common.quit_confirm import QuitConfirm
from cnn_tui.app.widgets.lessons.lesson_list import LessonList
from cnn_tui.app.widgets.lessons.try_it import TryItCard

SIZE = (120, 40)
LINK_TITLE = "[link=https://example.org]x[/link]"
STACK_NAME = "[bold red]a[/]\x1b[31m"
SHOWN_NAME = "[bold red]a[/]\\x1b[31m"


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_TUI_PROGRESS", str(tmp_path / "progress.json"))


def shown(widget) -> str:
    rendered = widget.render()
    return getattr(rendered, "plain", str(rendered))


def course(tmp_path: Path) -> Path:
    folder = tmp_path / "[b]course"
    folder.mkdir()
    (folder / "01-link.md").write_text(
        f"---\ntitle: {LINK_TITLE}\norder: 1\nminutes: 5\nobjectives:\n  - spot [/] and [b]\n"
        "---\n\n# Body\n\n::: try builder [red]x[/]\nOpen [dim]it[/dim].\n:::\n"
    )
    (folder / "02-esc.md").write_text(
        "---\ntitle: red \x1b[31m alert\norder: 2\nminutes: 5\nobjectives:\n  - x\n---\n\nText.\n"
    )
    return folder


async def test_a_markup_title_opens_and_shows_as_written(tmp_path):
    folder = course(tmp_path)
    app = CnnTuiApp(mode="lessons", lessons_dir=str(folder), lesson="1")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonsScreen)
        assert screen.lesson is not None and screen.lesson.title == LINK_TITLE
        heading = shown(screen.query_one(".lesson-heading", Static))
        assert heading == (
            f"Lesson 1: {LINK_TITLE}  ·  about 5 minutes\nYou will be able to:\n• spot [/] and [b]"
        )
        assert shown(screen.query_one("#course-title", Static)) == "[b]course  0/1 done"
        options = screen.query_one(LessonList).options
        assert [str(option.prompt) for option in options] == [
            f"   1 {LINK_TITLE}",
            "⚠ 02-esc.md: front matter 'title' holds a control character (\\x1b): remove it",
        ]
        card = screen.query_one(TryItCard)
        assert str(card.query_one(Button).label) == "Try it: Builder · [red]x[/]"
        assert shown(card.query_one(".try-it-text", Static)) == "Open [dim]it[/dim]."
        await pilot.press("d")  # the message names the lesson by its title
        await pilot.pause()
        assert shown(screen.query_one("#lessons-message", Static)) == f"{LINK_TITLE}: done"


def stack_file(tmp_path: Path) -> Path:
    path = tmp_path / "stack.json"
    data = {
        "name": STACK_NAME,
        "input": "1x8x8",
        "layers": [{"type": "conv", "out_channels": 2, "kernel": 3}, {"type": "flatten"}],
    }
    path.write_text(json.dumps(data))
    return path


async def test_a_hostile_stack_name_in_the_builder_the_train_screen_and_dialogs(tmp_path):
    app = CnnTuiApp(mode="builder", builder_stack=str(stack_file(tmp_path)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        builder = app.screen
        assert isinstance(builder, BuilderScreen)
        assert builder.stack_name == STACK_NAME
        assert builder.sub_title == SHOWN_NAME

        app.push_screen(ExportDialog("x = 1\n", Path("net.py"), f"PyTorch source of {STACK_NAME}"))
        await pilot.pause()
        title = app.screen.query_one("#export-dialog-title", Static)
        assert shown(title) == f"PyTorch source of {SHOWN_NAME}"
        await pilot.press("escape")
        await pilot.pause()

        app.push_screen(QuitConfirm(f"The builder's stack '{STACK_NAME}'"))
        await pilot.pause()
        text = shown(app.screen.query_one("#quit-confirm-text", Static))
        assert text.startswith(f"The builder's stack '{SHOWN_NAME}' has unsaved edits.")
        await pilot.press("escape")
        await pilot.pause()

        assert app.screen is builder
        await pilot.press("t")  # the Train screen names the stack it was handed
        await pilot.pause()
        train = app.screen
        assert isinstance(train, TrainScreen)
        message = f"{SHOWN_NAME}: 2 layers, input 1x8x8; ctrl+r trains it"
        assert shown(train.query_one("#train-message", Static)) == message
        assert str(train.query_one("#train-message", Static).tooltip) == message


async def test_the_stepper_shows_typed_brackets_as_written():
    app = CnnTuiApp(mode="stepper", stepper_preset="seed-conv")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StepperScreen)
        field = screen.query_one("#padding", Input)
        field.focus()
        await pilot.pause()
        await pilot.press("end", "ctrl+u", *"[/]", "enter")
        await pilot.pause()
        assert shown(screen.query_one("#message", Static)) == (
            "padding: expected a whole number or valid/same/full, got '[/]'"
            " (showing the last result that worked)"
        )


async def test_a_control_character_in_a_lesson_body_is_shown_as_an_escape(tmp_path):
    from textual.widgets import Markdown

    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "01-body.md").write_text(
        "---\ntitle: Body\norder: 1\nminutes: 5\nobjectives:\n  - x\n---\n\n"
        "# Body\n\nred \x1b[31m text\tand a tab\n"
    )
    app = CnnTuiApp(mode="lessons", lessons_dir=str(folder), lesson="1")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        body = app.screen.query_one(".lesson-text", Markdown)
        assert body.source == "# Body\n\nred \\x1b[31m text\tand a tab"
