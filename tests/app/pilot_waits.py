"""Waiting in a pilot test for something the app does in its own time (a worker, a timer)."""

from __future__ import annotations

import time
from collections.abc import Callable

WAIT = 90.0
"""The longest any pilot test waits (the first run imports torch and loads digits)."""


async def wait_for(pilot, condition: Callable[[], bool], seconds: float = WAIT) -> None:
    """Let the app run until condition() holds, checking after each turn of its event loop;
    fail after `seconds` (a limit for a hung app, never a figure a test relies on), or at once
    when the app stopped on an error."""
    deadline = time.monotonic() + seconds
    while not condition():
        crash = pilot.app._exception
        if crash is not None:  # a closed app answers nothing: say why at once
            raise AssertionError(f"the app stopped: {crash!r}") from crash
        if time.monotonic() > deadline:
            raise AssertionError("waited too long")
        await pilot.pause(0.05)
