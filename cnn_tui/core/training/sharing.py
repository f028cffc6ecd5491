"""How a run in the app's process shares Python with the app's UI thread.

The engine steps in a thread of the app, and with a small network most of each step is Python,
which holds the interpreter lock. A thread that asks for the lock waits up to the switch
interval (5 ms by default) before the holder must let go, and the UI thread asks again after
each of its waits for input: answering one key costs it many such waits. A short interval
while a run trains lets the UI thread back in sooner. It changes the timing only, never the
numbers: the CLI, which has no UI thread to answer, keeps Python's default.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

TRAINING_SWITCH_SECONDS = 0.001
"""The switch interval while a run trains in the app (Python's default is 0.005)."""

_lock = threading.Lock()
_runs = 0
"""Runs inside quick_switching() now: the first sets the interval, the last restores it."""
_before: float | None = None
"""The interval before the first of them, while they changed it (None: they did not)."""


@contextmanager
def quick_switching(seconds: float = TRAINING_SWITCH_SECONDS) -> Iterator[None]:
    """The process's switch interval is `seconds` inside the block (at most: a shorter one
    already set stays); the one before is restored when the last block that overlaps it
    ends."""
    global _runs, _before
    with _lock:
        if _runs == 0:
            now = sys.getswitchinterval()
            _before = now if seconds < now else None
            if _before is not None:
                sys.setswitchinterval(seconds)
        _runs += 1
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            if _runs == 0 and _before is not None:
                sys.setswitchinterval(_before)  # (set back only when changed: Python keeps
                _before = None  # it in whole microseconds, a round trip can lose one)
