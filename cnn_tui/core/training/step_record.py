"""Each training step's loss and correct count, kept on the device, brought home in one copy.

A step never copies anything home (that would make the host wait for the GPU). An eager run
keeps each step's two device scalars in a list and stacks them when the trainer takes them: no
extra kernel per step. A run that replays a CUDA graph cannot append to a Python list from the
GPU, so its steps write one row each into a preallocated device buffer, at a slot index that
also lives on the device and that the replay moves on. The trainer takes the rows a few times a
second; the learning rate of each step is known on the host and kept beside them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

RECORD_CAPACITY = 4096
"""Steps one record holds between two takes; the trainer takes them before it fills."""


class StepRecord:
    """The steps of one run since the last take(): (loss, correct count) rows and their rates."""

    def __init__(
        self, device: str, capacity: int = RECORD_CAPACITY, *, in_buffer: bool = False
    ) -> None:
        import torch

        self.capacity = capacity
        self.pending: list[tuple[torch.Tensor, torch.Tensor]] = []
        """(loss, correct count) device scalars of each step, for a run without a buffer."""
        self.values: torch.Tensor | None = None
        """in_buffer: row k holds the mean loss and the correct count of the k-th step since
        the last take."""
        self.slot: torch.Tensor | None = None
        """in_buffer: where the next step writes; on the device, so a graph replay moves it."""
        if in_buffer:
            self.values = torch.zeros((capacity, 2), dtype=torch.float32, device=device)
            self.slot = torch.zeros(1, dtype=torch.int64, device=device)
        self.rates: list[float] = []
        """The learning rate each recorded step used (host side, one per row)."""

    def __len__(self) -> int:
        return len(self.rates)

    @property
    def full(self) -> bool:
        return len(self.rates) >= self.capacity

    def write(self, loss: torch.Tensor, correct: torch.Tensor) -> None:
        """Store one step's row: device work only (no sync), so a CUDA graph can capture it.

        The caller adds the step's rate with note() once the step has run.
        """
        import torch

        if self.values is None or self.slot is None:
            self.pending.append((loss.detach(), correct))
            return
        row = torch.stack([loss.detach().float(), correct.float()]).unsqueeze(0)
        self.values.index_copy_(0, self.slot, row)
        self.slot += 1

    def note(self, rate: float) -> None:
        self.rates.append(rate)

    def take(self) -> tuple[list[float], list[int], list[float]]:
        """Losses, correct counts and rates of the recorded steps (one copy home); then empty."""
        import torch

        n = len(self.rates)
        rates, self.rates = self.rates, []
        if n == 0:
            return [], [], []
        if self.values is None or self.slot is None:
            pending, self.pending = self.pending, []
            losses = torch.stack([p[0] for p in pending]).float()
            correct = torch.stack([p[1] for p in pending]).float()
            both = torch.stack([losses, correct]).tolist()
            return both[0], [int(c) for c in both[1]], rates
        rows = self.values[:n].tolist()
        self.slot.zero_()
        return [row[0] for row in rows], [int(row[1]) for row in rows], rates

    def clear(self) -> None:
        """Forget the recorded steps without copying them home."""
        if self.rates:
            self.rates, self.pending = [], []
            if self.slot is not None:
                self.slot.zero_()
