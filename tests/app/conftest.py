"""Fixtures for every app test: the app never reads or writes the user's own recovery file."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def own_recovery_file(tmp_path, monkeypatch):
    """Each test's recovery file (where a stop signal keeps the builder's unsaved edits, and
    each start looks for them) is in its own folder: no test sees another's or the user's."""
    path = tmp_path / "state" / "builder-recovery.json"
    monkeypatch.setenv("CNN_TUI_RECOVERY", str(path))
    return path


@pytest.fixture(autouse=True)
def no_blink(monkeypatch):
    """Text cursors stay drawn instead of blinking: a blink timer would redraw the screen twice
    a second behind a test's back, and a snapshot could catch the cursor on or off."""
    from textual.widgets import Input, TextArea

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)
