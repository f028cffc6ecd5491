"""The progress file: only a file that really fails to parse is set aside, and only by the app;
anything else is reported and left exactly as it is."""

from __future__ import annotations

import json

import pytest

from cnn_tui.cli import main
from cnn_tui.core.course.progress import load_progress


def entries(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_folder_at_the_progress_path_is_reported_and_left(tmp_path):
    path = tmp_path / "progdir"
    path.mkdir()
    (path / "notes.txt").write_text("mine")
    progress = load_progress(path)
    assert progress.lessons == {}
    assert progress.warning == (
        f"progress file {path} cannot be read (it is a folder, not a file); left as it is, "
        "and progress is not saved while it is there"
    )
    assert entries(tmp_path) == ["progdir"]
    assert entries(path) == ["notes.txt"]
    # the app keeps going, but never writes over what it could not read
    with pytest.raises(OSError) as info:
        progress.set_done("lessons", "01-why-cnns")
    assert info.value.strerror == "the file there could not be read, so it is not replaced"
    assert info.value.filename == str(path)
    assert entries(tmp_path) == ["progdir"]


def test_a_corrupt_file_is_left_alone_when_only_reading(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text("{bad")
    progress = load_progress(path, set_aside=False)
    assert progress.lessons == {}
    assert progress.warning == (
        f"progress file {path} is unreadable (line 1: Expecting property name enclosed in "
        "double quotes); left as it is (opening the lessons sets it aside and starts afresh)"
    )
    assert entries(tmp_path) == ["progress.json"]
    with pytest.raises(OSError):
        progress.pass_exercise("lessons", "01-why-cnns", "first")
    assert path.read_text() == "{bad"


def test_a_corrupt_file_is_set_aside_by_the_app_with_the_reason(tmp_path):
    path = tmp_path / "progress.json"
    path.write_bytes(b"\xff\xfe")
    progress = load_progress(path)
    (aside,) = [p for p in tmp_path.iterdir() if p.name.startswith("progress.json.corrupt-")]
    assert progress.warning == (
        f"progress file {path} was unreadable ('utf-8' codec can't decode byte 0xff in "
        f"position 0: invalid start byte); kept as {aside}, starting afresh"
    )
    assert aside.read_bytes() == b"\xff\xfe"
    progress.set_done("lessons", "01-why-cnns")
    assert load_progress(path).of("lessons", "01-why-cnns").done


def test_a_wrong_shape_counts_as_corrupt(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text(json.dumps({"format": "cnn-tui-progress", "lessons": {"a/b": {"passed": 3}}}))
    progress = load_progress(path, set_aside=False)
    assert "(lesson 'a/b': 'passed' is not a list of exercise ids)" in progress.warning
    assert entries(tmp_path) == ["progress.json"]


def test_lessons_list_moves_nothing(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "progdir"
    folder.mkdir()
    monkeypatch.setenv("CNN_TUI_PROGRESS", str(folder))
    assert main(["lessons", "--list", "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        f"cnn-tui: progress file {folder} cannot be read (it is a folder, not a file); left as "
        "it is, and progress is not saved while it is there\n"
    )
    assert len(json.loads(captured.out)["lessons"]) == 14
    assert entries(tmp_path) == ["progdir"]

    corrupt = tmp_path / "progress.json"
    corrupt.write_text("[1, 2")
    monkeypatch.setenv("CNN_TUI_PROGRESS", str(corrupt))
    assert main(["lessons", "--list", "--json"]) == 0
    assert "is unreadable (line 1: Expecting ',' delimiter)" in capsys.readouterr().err
    assert entries(tmp_path) == ["progdir", "progress.json"]
    assert corrupt.read_text() == "[1, 2"


def test_a_good_file_still_loads_and_saves(tmp_path):
    path = tmp_path / "progress.json"
    progress = load_progress(path, set_aside=False)
    assert progress.warning == "" and not progress.blocked
    progress.pass_exercise("lessons", "01-why-cnns", "first")
    again = load_progress(path, set_aside=False)
    assert again.of("lessons", "01-why-cnns").passed == ["first"]
    assert again.warning == ""


async def test_the_lessons_screen_says_progress_was_not_saved(tmp_path, monkeypatch):
    # a Pilot test beside the core ones: the screen must not claim 'done' over the red line
    from textual.widgets import Static

    from cnn_tui.app.app import CnnTuiApp

    folder = tmp_path / "progdir"
    folder.mkdir()
    monkeypatch.setenv("CNN_TUI_PROGRESS", str(folder))
    app = CnnTuiApp(mode="lessons", lesson="1")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.query_one("#lesson-reader").focus()
        await pilot.press("d")
        await pilot.pause()
        message = screen.query_one("#lessons-message", Static)
        assert str(message.render()) == (
            "progress not saved: the file there could not be read, so it is not replaced"
        )
        assert message.has_class("-error")
        assert screen.progress.of("lessons", "01-why-cnns").done  # kept for this session
    assert entries(tmp_path) == ["progdir"]
    assert list(folder.iterdir()) == []
