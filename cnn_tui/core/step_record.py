"""Each training step's loss and correct count, written on the device, brought home in one copy.

A step never copies anything home (that would make the host wait for the GPU): it writes one
row into a preallocated device buffer at a slot index that also lives on the device, so the
same writes can be captured in a CUDA graph and replayed. The trainer takes the rows a few
times a second; the learning rate of each step is known on the host and kept beside them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

RECORD_CAPACITY = 4096
"""Steps one record holds between two takes; the trainer takes them before it fills."""


class StepRecord:
    """The steps of one run since the last take(): (loss, correct count) rows and their rates."""

    def __init__(self, device: str, capacity: int = RECORD_CAPACITY) -> None:
        import torch

        self.capacity = capacity
        self.values = torch.zeros((capacity, 2), dtype=torch.float32, device=device)
        """Row k: the mean loss and the correct count of the k-th step since the last take."""
        self.slot = torch.zeros(1, dtype=torch.int64, device=device)
        """Where the next step writes. On the device, so a replayed CUDA graph moves it on."""
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

        row = torch.stack([loss.detach().float(), correct.float()]).unsqueeze(0)
        self.values.index_copy_(0, self.slot, row)
        self.slot += 1

    def note(self, rate: float) -> None:
        self.rates.append(rate)

    def take(self) -> tuple[list[float], list[int], list[float]]:
        """Losses, correct counts and rates of the recorded steps (one copy home); then empty."""
        n = len(self.rates)
        rates, self.rates = self.rates, []
        if n == 0:
            return [], [], []
        rows = self.values[:n].tolist()
        self.slot.zero_()
        return [row[0] for row in rows], [int(row[1]) for row in rows], rates

    def clear(self) -> None:
        """Forget the recorded steps without copying them home."""
        if self.rates:
            self.rates = []
            self.slot.zero_()
