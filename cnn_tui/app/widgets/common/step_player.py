"""StepPlayer: play and pause for a view that steps (the stepper, its backward pass, the
playground): a timer that calls the view's tick at the chosen speed while it plays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message_pump import MessagePump
from textual.timer import Timer


class StepPlayer:
    """Calls `tick` every 1 / speed seconds, on the owner's timer, from `start` until `stop`."""

    def __init__(self, owner: MessagePump, tick: Callable[[], Any]) -> None:
        self.owner = owner
        self.tick = tick
        self.timer: Timer | None = None

    @property
    def playing(self) -> bool:
        return self.timer is not None

    def start(self, speed: float) -> None:
        self.stop()
        self.timer = self.owner.set_interval(1 / speed, self.tick)

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.stop()
            self.timer = None

    def retime(self, speed: float) -> None:
        """Keep playing, at the new speed (nothing when paused)."""
        if self.playing:
            self.start(speed)
