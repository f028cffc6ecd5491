"""Text from files is printed as plain text: no markup, no traceback, control characters shown as
escapes (issue 12, item 3; the caret line of item 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnn_tui.cli import main

LINK_TITLE = "[link=https://example.org]x[/link]"


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_TUI_PROGRESS", str(tmp_path / "progress.json"))


def stack_file(folder: Path, name: str, description: str = "") -> Path:
    path = folder / "stack.json"
    data = {
        "name": name,
        "description": description,
        "input": "1x28x28",
        "layers": [{"type": "flatten"}, {"type": "fc", "out_features": 10}],
    }
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("a[/]", "a[/]"),
        ("[bold red]x", "[bold red]x"),
        ("\x1b[31mred\x07", "\\x1b[31mred\\x07"),
        ("two\nlines\u2028", "two\\nlines\\u2028"),
    ],
)
def test_summary_prints_the_stack_name_as_written(tmp_path, capsys, name, shown):
    assert main(["summary", str(stack_file(tmp_path, name))]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.splitlines()[0].rstrip() == f"{shown}  input 1x28x28"
    assert "\x1b" not in captured.out and "\x07" not in captured.out


def lesson(folder: Path, name: str, title: str, order: int = 1) -> Path:
    path = folder / name
    path.write_text(
        f"---\ntitle: {title}\norder: {order}\nminutes: 5\nobjectives:\n  - read {title}\n---\n\n"
        "# Body\n\nText.\n"
    )
    return path


def test_lessons_list_prints_a_markup_title_literally(tmp_path, capsys):
    course = tmp_path / "course"
    course.mkdir()
    lesson(course, "01-link.md", LINK_TITLE)
    assert main(["lessons", "--lessons", str(course), "--list"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    rows = [line.split() for line in captured.out.splitlines() if line.strip().startswith("1 ")]
    assert rows == [["1", LINK_TITLE, "01-link", "5", "0/0"]]
    # --check passes it, and the app shows it as written (tests/app/test_markup_injection.py)
    assert main(["lessons", "--lessons", str(course), "--check"]) == 0


def test_a_control_character_in_a_title_is_reported_by_check_and_list(tmp_path, capsys):
    course = tmp_path / "course"
    course.mkdir()
    lesson(course, "01-fine.md", "Fine")
    lesson(course, "02-esc.md", "red \x1b[31m alert", order=2)
    message = (
        f"cnn-tui: {course / '02-esc.md'} line 2: front matter 'title' holds a control "
        "character (\\x1b): remove it\n"
    )
    assert main(["lessons", "--lessons", str(course), "--check"]) == 2
    assert capsys.readouterr().err == message
    assert main(["lessons", "--lessons", str(course), "--list"]) == 0
    captured = capsys.readouterr()
    assert captured.err == message
    assert "\x1b" not in captured.out


def test_an_error_quoting_a_file_name_shows_its_control_characters(tmp_path, capsys):
    missing = tmp_path / "evil\x1b[2Jname.json"
    assert main(["summary", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "evil\\x1b[2Jname.json" in err


def test_the_caret_line_shows_control_characters_and_points_under_them(capsys):
    assert main(["summary", "conv(2,3) \x1b[31m relu", "--input", "1x8x8"]) == 2
    assert capsys.readouterr().err == (
        "cnn-tui: column 11: unexpected character '\\x1b'\nconv(2,3) \\x1b[31m relu\n          ^\n"
    )
