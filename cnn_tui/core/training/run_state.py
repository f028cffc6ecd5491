"""One optimizer's run in a race (_Run): its optimizer and learning-rate schedule, weight
average, CUDA graph and device-side step record. torch is imported inside the functions."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .results import RunResult
from .step_record import StepRecord
from .train_config import OptimizerSettings, TrainConfig

if TYPE_CHECKING:
    import torch
    from torch import nn


def make_optimizer(
    settings: OptimizerSettings,
    params: Any,
    *,
    capturable: bool = False,
    rate: torch.Tensor | None = None,
) -> torch.optim.Optimizer:
    """torch's optimizer for these settings.

    capturable: built so a CUDA graph can capture its step (Adam's and RMSProp's step counts
    on the GPU). rate: a one-element GPU tensor as the learning rate, which a schedule changes
    in place between graph replays (SGD then uses its fused kernel, the one that reads it).
    """
    import torch

    lr: float | torch.Tensor = settings.learning_rate if rate is None else rate
    wd = settings.weight_decay
    name = settings.name
    if name in ("sgd", "momentum", "nesterov"):
        return torch.optim.SGD(
            params,
            lr=lr,
            momentum=settings.momentum_value,
            nesterov=name == "nesterov",
            weight_decay=wd,
            fused=True if rate is not None else None,
        )
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(
            params,
            lr=lr,
            momentum=settings.momentum_value,
            weight_decay=wd,
            capturable=capturable,
        )
    kind = torch.optim.Adam if name == "adam" else torch.optim.AdamW
    return kind(params, lr=lr, betas=settings.betas, weight_decay=wd, capturable=capturable)


def make_schedule(
    config: TrainConfig, optimizer: torch.optim.Optimizer, steps_per_epoch: int
) -> Any | None:
    """A per-step learning-rate scheduler (None for a constant rate)."""
    import torch

    total = steps_per_epoch * config.epochs
    sched = torch.optim.lr_scheduler
    if config.schedule == "step":
        return sched.StepLR(
            optimizer, step_size=steps_per_epoch * config.step_epochs, gamma=config.gamma
        )
    if config.schedule == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=total)
    if config.schedule == "onecycle":
        lr = optimizer.param_groups[0]["lr"]
        # the momentum (or beta1) the student chose stays as chosen: only the rate cycles
        return sched.OneCycleLR(optimizer, max_lr=lr, total_steps=total, cycle_momentum=False)
    return None


class _Run:
    """One optimizer's model, state and device-side step record."""

    def __init__(
        self,
        settings: OptimizerSettings,
        model: nn.Module,
        config: TrainConfig,
        steps_per_epoch: int,
        device: str,
        graph_pool: Any = None,
    ) -> None:
        import torch

        from .cuda_graph import GraphedStep, graph_refusal

        self.settings = settings
        self.title = settings.title
        self.model = model
        self.refusal = graph_refusal(config, settings, device)
        """Why this run never tries a CUDA graph ('' when it does)."""
        graphed = not self.refusal
        trainable = [p for p in model.parameters() if p.requires_grad]  # not frozen layers
        self.graph = GraphedStep(graph_pool) if graphed else None
        self.device_rate: torch.Tensor | None = None
        """A scheduled graphed run's learning rate, on the GPU, where its replays read it."""
        self.rate_keeper: torch.optim.Optimizer | None = None
        """That run's schedule drives this stand-in on the host, so no step reads the GPU."""
        if graphed and config.schedule != "constant":
            stand_in = [torch.zeros(1, requires_grad=True)]
            self.rate_keeper = torch.optim.SGD(stand_in, settings.learning_rate)
            self.schedule = make_schedule(config, self.rate_keeper, steps_per_epoch)
            self.rate_keeper.step()  # no gradients, so nothing moves: the schedule sees a step
            self.device_rate = torch.tensor(self.lr, dtype=torch.float32, device=device)
            self.optimizer = make_optimizer(
                settings, trainable, capturable=True, rate=self.device_rate
            )
        else:
            self.optimizer = make_optimizer(settings, trainable, capturable=graphed)
            self.schedule = make_schedule(config, self.optimizer, steps_per_epoch)
        self.ema_weight = 1.0 - config.ema_decay if config.ema_decay else 0.0
        """How far each step moves the weight average towards the weights."""
        self.ema = copy.deepcopy(model) if config.ema_decay else None
        if self.ema is not None:
            self.ema.requires_grad_(False)
            self._ema_params: list[torch.Tensor] = list(self.ema.parameters())
            self._params: list[torch.Tensor] = list(self.model.parameters())
        self.record = StepRecord(device, in_buffer=graphed)
        """Loss and correct count of each step since the last flush, still on the device."""
        self.flushed = 0
        """Steps whose loss and correct count have been copied home."""
        self.result = RunResult(run=self.title, status="done", optimizer=settings.describe())
        self.active = True
        self.last_rate = self.lr
        """The rate the latest step used."""

    @property
    def lr(self) -> float:
        holder = self.rate_keeper if self.rate_keeper is not None else self.optimizer
        return float(holder.param_groups[0]["lr"])

    @property
    def graph_note(self) -> str:
        """Why this run steps eagerly: refused, or its capture failed ('' otherwise)."""
        if self.refusal or self.graph is None:
            return self.refusal
        return self.graph.failure

    @property
    def graphed(self) -> bool:
        """Whether the run's full batches replay a captured CUDA graph."""
        return self.graph is not None and self.graph.captured

    def step(self, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable, full: bool) -> None:
        """One step on (x, y). full: a full batch in the trainer's fixed input buffers, which a
        CUDA graph may replay; other batches step eagerly."""
        rate = self.lr  # the rate this step uses (a schedule moves it afterwards)
        self.last_rate = rate
        if self.graph is not None and full:
            self.graph.run(
                eager=lambda: self._eager_step(x, y, loss_fn),
                body=lambda: self._update(x, y, loss_fn),
                drop_grads=lambda: self.optimizer.zero_grad(set_to_none=True),
            )
        else:
            self._eager_step(x, y, loss_fn)
        if self.schedule is not None:
            self.schedule.step()
            if self.device_rate is not None and self.lr != rate:
                self.device_rate.fill_(self.lr)  # in stream order: the next replay reads it
        self.record.note(rate)

    def _eager_step(self, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable) -> None:
        # once a graph is captured its gradient tensors are where its replays write: keep them
        self.optimizer.zero_grad(set_to_none=not self.graphed)
        self._update(x, y, loss_fn)

    def _update(self, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable) -> None:
        """Forward, backward, optimizer, EMA and the step's record: device work only."""
        import torch

        out = self.model(x)
        loss = loss_fn(out, y)
        loss.backward()
        self.optimizer.step()
        with torch.no_grad():
            # outside autograd: an in-place lerp from weights that need gradients would chain
            # every step's average into one ever-growing graph
            if self.ema is not None:
                torch._foreach_lerp_(self._ema_params, self._params, self.ema_weight)
            self.record.write(loss, (out.argmax(1) == y).sum())

    def ema_model(self) -> nn.Module | None:
        """The averaged weights with the raw model's batch-norm statistics."""
        if self.ema is None:
            return None
        for mine, theirs in zip(self.ema.buffers(), self.model.buffers(), strict=True):
            mine.copy_(theirs)
        return self.ema

    def release(self) -> None:
        """Drop gradients, optimizer state and any graph (after an out-of-memory)."""
        if self.graph is not None:
            self.graph.release()
        self.optimizer.zero_grad(set_to_none=True)
        self.optimizer.state.clear()
        self.active = False
