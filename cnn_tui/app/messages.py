"""App-wide requests: a screen posts one, it bubbles to the app, and the app switches mode and
hands it to the screen that serves it. Screens never import each other; messages go up,
attributes and method calls come down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # not imported at the start: the first screen may need neither
    from ..core.course.lessons import TryIt
    from ..core.stacks.stack import Stack
    from ..core.training.results import TrainResult


@dataclass
class UseStackInTrain(Message):
    """Switch to Train with this stack in the form, ready for ctrl+r."""

    stack: Stack
    """The stack to train: its layers and input shape go into the form."""


@dataclass
class OpenTryIt(Message):
    """Open a lesson's 'Try it' target; the app answers with the screen's `try_it_answered`."""

    try_it: TryIt
    """The screen to open and what to show on it (a preset, stack or tab)."""


@dataclass
class InspectRun(Message):
    """Switch to Inside with one finished run of the Train session (Train's 'inspect')."""

    result: TrainResult
    run: str
    """The run's name (a race's optimizer label)."""
