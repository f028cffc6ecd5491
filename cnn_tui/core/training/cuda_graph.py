"""Replaying a training step as one CUDA graph: which runs can, and the warm-up and capture.

On a GPU a small network's step is bound by the host, not the GPU: each of its kernels (about
60 for the lecture's MNIST net: forward, backward, optimizer, metrics) takes longer to launch
from Python than to run. A CUDA graph records those launches once and replays them with one
call, so the GPU stops waiting for Python. The replay does exactly what the eager step did, on
the same tensors: the batch is copied into a fixed input buffer first, and the parameters,
gradients, optimizer state and metric rows are updated in place. Only full batches replay;
an epoch's shorter last batch steps eagerly, writing the same gradient tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .devices import _first_line, _is_out_of_memory

if TYPE_CHECKING:
    from .train_config import OptimizerSettings, TrainConfig

WARMUP_STEPS = 3
"""Eager steps (on a side stream) before the capture: they create the optimizer state and let
cuDNN and cuBLAS settle their workspaces, none of which may be allocated inside a capture."""

GRAPH_OPTIMIZERS = frozenset({"sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop"})
"""Optimizers whose whole state lives on the GPU (Adam and RMSProp built capturable=True)."""


def graph_refusal(config: TrainConfig, settings: OptimizerSettings, device: str) -> str:
    """'' when this run's full batches can replay a CUDA graph, else why it steps eagerly."""
    if device != "cuda":
        return f"CUDA graphs need a CUDA GPU ({device} steps eagerly)"
    if not config.cuda_graph:
        return "CUDA graphs turned off"
    if settings.name not in GRAPH_OPTIMIZERS:
        return f"{settings.name} counts its steps on the CPU, which a replayed graph cannot advance"
    return ""


_side_streams: dict[int, Any] = {}


def side_stream() -> Any:
    """The one stream every run warms up on, per GPU: cuBLAS keeps a workspace (tens of MiB)
    for each stream it has seen, so a stream a run would make anew costs memory for good."""
    import torch

    index = torch.cuda.current_device()
    if index not in _side_streams:
        _side_streams[index] = torch.cuda.Stream()
    return _side_streams[index]


class GraphedStep:
    """One run's full-batch step: eager while warming up, then captured once, then replayed."""

    def __init__(self, pool: Any) -> None:
        import torch

        self.pool = pool
        """A memory pool the graphs of a race share: their replays never overlap."""
        self.stream = side_stream()
        self.warmed = 0
        self.graph: torch.cuda.CUDAGraph | None = None
        self.failure = ""
        """Why the capture failed ('' if it did not): the run then steps eagerly."""

    @property
    def captured(self) -> bool:
        return self.graph is not None

    def run(
        self,
        eager: Callable[[], None],
        body: Callable[[], None],
        drop_grads: Callable[[], None],
    ) -> None:
        """Take one step. `eager` is the ordinary step; `body` the same step without zeroing
        the gradients (the capture allocates them); `drop_grads` sets them to None."""
        import torch

        if self.graph is not None:
            self.graph.replay()
            return
        if self.failure:
            eager()
            return
        if self.warmed < WARMUP_STEPS:
            self.stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(self.stream):
                eager()
            torch.cuda.current_stream().wait_stream(self.stream)
            self.warmed += 1
            return
        drop_grads()  # the capture allocates them in its pool, where every replay writes them
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph, pool=self.pool, capture_error_mode="thread_local"):
                body()
        except Exception as exc:
            if _is_out_of_memory(exc):
                raise
            # something in the step cannot be captured: this run goes on without a graph
            torch.cuda.synchronize()
            self.failure = f"CUDA graph capture failed: {_first_line(exc)}"
            drop_grads()
            eager()
            return
        self.graph = graph
        graph.replay()  # the capture only recorded this step: now take it

    def release(self) -> None:
        self.graph = None
