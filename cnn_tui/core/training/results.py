"""What train() hands back: each run's ending (RunResult), the whole race's (TrainResult), and
LiveRun, filled once the run is set up for views drawn while it trains."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..stacks.stack import Stack
from .metrics import MetricsLog
from .train_config import TrainConfig

if TYPE_CHECKING:
    from torch import nn

    from .data import DeviceData


RunStatus = Literal["done", "stopped", "error"]


@dataclass
class RunResult:
    """How one run (one optimizer of a race) ended."""

    run: str
    status: RunStatus
    message: str = ""
    epochs: int = 0
    """Epochs completed."""
    steps: int = 0
    test_loss: float | None = None
    test_accuracy: float | None = None
    ema_test_loss: float | None = None
    ema_test_accuracy: float | None = None
    images_per_second: float | None = None
    seconds: float = 0.0
    """Training time (pauses and evaluation excluded)."""
    optimizer: str = ""
    """The optimizer and its settings in one line."""
    model: nn.Module | None = field(default=None, repr=False)
    """The trained network, in eval mode, on the training device."""
    ema_model: nn.Module | None = field(default=None, repr=False)
    cuda_graph: bool = False
    """Whether its full batches replayed one captured CUDA graph each instead of stepping
    kernel by kernel."""
    graph_note: str = ""
    """Why it stepped eagerly on a CUDA GPU ('' elsewhere, and when it replayed a graph)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "status": self.status,
            "message": self.message,
            "optimizer": self.optimizer,
            "epochs": self.epochs,
            "steps": self.steps,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "ema_test_loss": self.ema_test_loss,
            "ema_test_accuracy": self.ema_test_accuracy,
            "images_per_second": self.images_per_second,
            "seconds": self.seconds,
            "cuda_graph": self.cuda_graph,
            "graph_note": self.graph_note,
        }


@dataclass
class TrainResult:
    config: TrainConfig
    device: str
    """'cuda', 'mps' or 'cpu'."""
    device_name: str
    """'NVIDIA H100 80GB HBM3' or 'CPU (2 threads)'."""
    runs: list[RunResult]
    log: MetricsLog
    data: DeviceData | None = field(default=None, repr=False)
    checkpoint: Path | None = None
    save_error: str = ""
    """Why the checkpoint asked for could not be written ('' when it was, or none was asked)."""

    def summary(self) -> dict[str, Any]:
        """JSON-able: the first run's figures at the top, every run under 'runs'."""
        first = self.runs[0]
        return {
            "model": self.config.model,
            "dataset": self.config.dataset,
            "status": first.status,
            "test_accuracy": first.test_accuracy,
            "test_loss": first.test_loss,
            "epochs": first.epochs,
            "images_per_second": first.images_per_second,
            "device": self.device,
            "device_name": self.device_name,
            "checkpoint": str(self.checkpoint) if self.checkpoint else None,
            "runs": [run.to_dict() for run in self.runs],
        }


@dataclass
class LiveRun:
    """Filled by train() once the run is set up, for views drawn while it trains."""

    data: DeviceData | None = None
    models: dict[str, nn.Module] = field(default_factory=dict)
    ema_models: dict[str, nn.Module] = field(default_factory=dict)
    stack: Stack | None = None
