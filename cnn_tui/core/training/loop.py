"""The training engine: train(config, report, stop) on a CUDA GPU, Apple's MPS or the CPU.

The whole dataset sits on the device; each step draws its batch by index and augments it there.
Nothing is copied back per step: each step writes its loss and correct count into preallocated
device buffers, and a few times a second (config.report_seconds) one copy brings the new slice
home. From that slice come the training points, the lecture's per-100-iteration log lines and
the exact step where a loss first went NaN. A race steps several optimizers on the same batches
from identical initial weights. torch is imported inside the functions.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..stacks.layers import LogSoftmax, Softmax
from ..stacks.stack import Stack
from .checkpoints import _one_line, check_writable, save_checkpoint
from .devices import (
    TrainingError,
    _first_line,
    _is_out_of_memory,
    _out_of_memory_types,
    available_memory,
    device_title,
)
from .metrics import MetricsLog, Point
from .step_record import StepRecord
from .train_config import OptimizerSettings, TrainConfig

if TYPE_CHECKING:
    import torch
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


def pick_device(name: str = "auto") -> str:
    """'auto' -> cuda, then mps, then cpu; a named device that is missing raises TrainingError."""
    import torch

    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps and mps.is_available())
    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if has_mps else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        why = "this torch was built without CUDA" if torch.version.cuda is None else "no GPU seen"
        raise TrainingError(f"device cuda is not available ({why}): choose device cpu or auto")
    if name == "mps" and not has_mps:
        raise TrainingError("device mps (Apple GPU) is not available: choose device cpu or auto")
    if name not in ("cuda", "mps", "cpu"):
        raise TrainingError(f"unknown device {name!r}: use auto, cuda, mps or cpu")
    return name


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


def _loss_function(stack: Stack) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """nll_loss after log_softmax (the lecture's net), cross-entropy on raw scores."""
    import torch
    import torch.nn.functional as F

    last = stack.layers[-1] if stack.layers else None
    if isinstance(last, LogSoftmax):
        return F.nll_loss
    if isinstance(last, Softmax):
        return lambda out, y: F.nll_loss(torch.log(out.clamp_min(1e-12)), y)
    return F.cross_entropy


def _check_fits(stack: Stack, classes: int, title: str) -> None:
    from ..stacks.tally import describe_shape

    out = stack.output_shape()
    if tuple(out) != (classes,):
        raise TrainingError(
            f"the stack ends in {describe_shape(out)} values but {title} has {classes} classes: "
            f"end it with linear({classes}) (after a flatten)"
        )


def _nonfinite_message(
    value: float, step: int, epoch: int, iteration: int, lr: float, loss: str = "loss"
) -> str:
    """step, epoch and iteration count from 0, as the lecture's log lines do ('Train Epoch: 0,
    iteration: 0' is the first step), and the message says so."""
    what = "NaN" if math.isnan(value) else "infinite"
    where = "after" if loss != "loss" else "at"
    return (
        f"{loss} became {what} {where} step {step} (epoch {epoch}, iteration {iteration}; "
        f"counted from 0 like the log lines) with learning rate {lr:g}: the rate is probably "
        f"too high for this stack; try {lr / 10:g}, or add batch norm"
    )


def _setup_out_of_memory_message(
    device: str, stack: Stack | None, config: TrainConfig, exc: BaseException
) -> str:
    """Out of memory before the first step: the network's size by the builder's tally."""
    from ..stacks.tally import short_bytes, tally

    copies = _copies(config)
    size = ""
    if stack is not None:
        try:
            totals = tally(stack).totals
            size = (
                f" ({totals.params:,} parameters, {short_bytes(totals.parameter_bytes)} a copy "
                "by the builder's tally)"
            )
        except Exception:  # the figure is advice only
            size = ""
    # torch's CUDA message says how much it tried to get; the CPU allocator's names C++ files
    said = "" if device == "cpu" else f": {_first_line(exc)}"
    advice = "try a smaller stack"
    if len(config.optimizers) > 1:
        advice += ", fewer optimizers"
    if device != "cpu":
        advice += " or the CPU"
    plural = "copy" if copies == 1 else "copies"
    return (
        f"{device} out of memory while setting up the dataset and {copies} {plural} of the "
        f"network{size}{said}; {advice}"
    )


def _copies(config: TrainConfig) -> int:
    """Copies of the network a run holds: the one it starts from, then each optimizer's own
    (and its weight average)."""
    return 1 + len(config.optimizers) * (2 if config.ema_decay else 1)


def _check_shift(config: TrainConfig, stack: Stack) -> None:
    shift = config.augment.shift
    if not shift or len(stack.input_shape) != 3:
        return
    _, height, width = stack.input_shape
    if shift >= min(height, width):
        raise TrainingError(
            f"augmentation shift={shift} can move the {height}x{width} images wholly out of the "
            f"picture: use a shift below {min(height, width)}"
        )


def _check_ram(config: TrainConfig, stack: Stack) -> None:
    """Refuse a network whose copies cannot fit in the memory free now (before torch tries,
    and the kernel perhaps kills the process instead of saying no)."""
    from ..stacks.tally import short_bytes, tally

    free = available_memory()
    if free is None:
        return
    totals = tally(stack).totals
    copies = _copies(config)
    need = totals.parameter_bytes * copies
    if need > free:
        plural = "copy" if copies == 1 else "copies"
        raise TrainingError(
            f"the network has {totals.params:,} parameters, {short_bytes(totals.parameter_bytes)} "
            f"a copy by the builder's tally; the run needs {copies} {plural} "
            f"({short_bytes(need)}) and {short_bytes(free)} of memory is free: "
            "try a smaller stack (fewer filters, a narrower linear layer)"
        )


def _noise_state(device: str) -> torch.Tensor:
    """The state of the generator that dropout draws its masks from on this device."""
    import torch

    if device == "cuda":
        return torch.cuda.get_rng_state()
    if device == "mps":
        return torch.mps.get_rng_state()
    return torch.get_rng_state()


def _set_noise_state(device: str, state: torch.Tensor) -> None:
    import torch

    if device == "cuda":
        torch.cuda.set_rng_state(state)
    elif device == "mps":
        torch.mps.set_rng_state(state)
    else:
        torch.set_rng_state(state)


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
                settings, model.parameters(), capturable=True, rate=self.device_rate
            )
        else:
            self.optimizer = make_optimizer(settings, model.parameters(), capturable=graphed)
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


def evaluate(
    model: nn.Module, data: DeviceData, loss_fn: Callable, batch_size: int = 1000
) -> tuple[float, float]:
    """Mean test loss and accuracy (fraction), in large batches, one copy home at the end."""
    import torch

    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=data.device)
    correct = torch.zeros((), dtype=torch.int64, device=data.device)
    n = len(data.test_y)
    with torch.no_grad():
        for start in range(0, n, batch_size):
            x = data.test_x[start : start + batch_size]
            y = data.test_y[start : start + batch_size]
            out = model(x)
            loss_sum += loss_fn(out, y) * len(y)
            correct += (out.argmax(1) == y).sum()
    model.train(was_training)
    pair = torch.stack([loss_sum, correct.to(loss_sum.dtype)]).tolist()
    return pair[0] / n, pair[1] / n


class _Trainer:
    def __init__(
        self,
        config: TrainConfig,
        report: Callable[[Point], None] | None,
        stop: threading.Event,
        pause: threading.Event | None,
        log: MetricsLog,
        live: LiveRun | None,
    ) -> None:
        self.config = config
        self.report = report
        self.stop = stop
        self.pause = pause
        self.log = log
        self.live = live

    def emit(self, point: Point) -> None:
        self.log.append(point)
        if self.report is not None:
            self.report(point)

    # -- set-up ------------------------------------------------------------------------------

    def setup(self) -> None:
        import torch

        from ..stacks.torch_bridge import build_module
        from ..stacks.zoo import resolve_stack
        from .data import dataset_info, load_dataset

        config = self.config
        self.device = pick_device(config.device)
        self.device_name = device_title(self.device)
        stack = resolve_stack(config.model, config.input_shape)
        info = dataset_info(config.dataset)
        _check_fits(stack, len(info.labels), info.title)
        _check_shift(config, stack)
        self.stack = stack
        if self.device == "cpu":
            _check_ram(config, stack)
        self.data = load_dataset(
            info.name,
            stack.input_shape,
            device=self.device,
            data_dir=config.data_dir,
            download=config.download,
            limit_train=config.limit_train,
        )
        self.loss_fn = _loss_function(stack)
        torch.manual_seed(config.seed)
        base = build_module(stack).to(self.device)
        self.params = sum(p.numel() for p in base.parameters())
        n = len(self.data.train_y)
        self.steps_per_epoch = math.ceil(n / config.batch_size)
        if any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in base.modules()):
            # batch norm cannot normalise a batch of one image (its variance is 0/0)
            if config.batch_size == 1 or n == 1:
                raise TrainingError(
                    "batch norm needs at least 2 images per batch: use batch size 2 or more"
                )
            if n % config.batch_size == 1:
                self.steps_per_epoch -= 1  # the last image of each shuffle waits for the next
        self.total_steps = self.steps_per_epoch * config.epochs
        # the graphs of a race share one memory pool: they replay one after another
        graphs = self.device == "cuda" and config.cuda_graph
        pool = torch.cuda.graph_pool_handle() if graphs else None
        self.runs = [
            _Run(s, copy.deepcopy(base), config, self.steps_per_epoch, self.device, pool)
            for s in config.race_settings()
        ]
        self.batch_x: torch.Tensor | None = None
        """Fixed input buffers that full batches are gathered into, for graphed runs to read."""
        self.batch_y: torch.Tensor | None = None
        if any(r.graph is not None for r in self.runs):
            b = config.batch_size
            self.batch_x = self.data.train_x.new_empty((b, *self.data.train_x.shape[1:]))
            self.batch_y = self.data.train_y.new_empty((b, *self.data.train_y.shape[1:]))
        self.generator = torch.Generator(device=self.device).manual_seed(config.seed)
        # in a race every run draws the same dropout masks at the same step, so the runs differ
        # by their optimizer alone (the masks come from the global generator, not self.generator)
        self.same_noise = len(self.runs) > 1 and any(
            isinstance(m, torch.nn.modules.dropout._DropoutNd) for m in base.modules()
        )
        mean, std = self.data.mean, self.data.std
        self.background = (-mean / std).to(self.device)
        self.sizes: list[int] = []
        if self.live is not None:
            self.live.data = self.data
            self.live.stack = stack
            self.live.models = {r.title: r.model for r in self.runs}
            self.live.ema_models = {r.title: r.ema for r in self.runs if r.ema is not None}

    def memory(self) -> int | None:
        import torch

        return int(torch.cuda.memory_allocated()) if self.device == "cuda" else None

    # -- the loop ------------------------------------------------------------------------------

    def run(self) -> list[RunResult]:
        import torch

        config = self.config
        for r in self.runs:
            self.emit(
                Point(
                    run=r.title,
                    kind="start",
                    lr=r.lr,
                    message=r.settings.describe(),
                    extra={
                        "device": self.device,
                        "device_name": self.device_name,
                        "steps_per_epoch": self.steps_per_epoch,
                        "total_steps": self.total_steps,
                        "epochs": config.epochs,
                        "batch_size": config.batch_size,
                        "params": self.params,
                        "train_size": len(self.data.train_y),
                        "test_size": len(self.data.test_y),
                        "dataset": self.data.source,
                        "cuda_graph": not r.graph_note,
                    },
                )
            )
        self.t0 = time.perf_counter()
        self.paused = 0.0
        self.eval_seconds = 0.0
        self.tested_at = 0
        """The step of the latest test-set evaluation."""
        self.images = 0
        self.last_flush = time.perf_counter()
        self.images_at_flush = 0
        step = 0
        n = len(self.data.train_y)
        oom = _out_of_memory_types()
        stopped = False
        for epoch in range(config.epochs):
            order = torch.randperm(n, device=self.device, generator=self.generator)
            epoch_start = self.elapsed()
            epoch_images = self.images
            for iteration in range(self.steps_per_epoch):
                if self.stop.is_set():
                    stopped = True
                    break
                if self.pause is not None and self.pause.is_set():
                    self._wait_paused()
                    if self.stop.is_set():
                        stopped = True
                        break
                index = order[iteration * config.batch_size : (iteration + 1) * config.batch_size]
                x, y, full = self._batch(index)
                noise = _noise_state(self.device) if self.same_noise else None
                for r in self.runs:
                    if not r.active:
                        continue
                    if noise is not None:
                        _set_noise_state(self.device, noise)
                    try:
                        r.step(x, y, self.loss_fn, full)
                    except oom:
                        self._out_of_memory(r, step)
                    except (RuntimeError, ValueError, IndexError) as exc:
                        if _is_out_of_memory(exc):
                            self._out_of_memory(r, step)
                        else:
                            # one run fails with torch's reason; the others and the log survive
                            self._fail(r, step, f"step {step} failed: {exc}".split("\n")[0])
                self.sizes.append(len(y))
                step += 1
                self.images += len(y)
                if not any(r.active for r in self.runs):
                    break
                if time.perf_counter() - self.last_flush >= config.report_seconds or any(
                    r.record.full for r in self.runs
                ):
                    self.flush(step)
                if config.eval_every and step % config.eval_every == 0:
                    self.flush(step)
                    self.test_all(epoch, step)
            self.flush(step)
            seconds = self.elapsed() - epoch_start
            if not stopped and any(r.active for r in self.runs):
                images = self.images - epoch_images
                for r in self.runs:
                    if not r.active:
                        continue
                    r.result.epochs = epoch + 1
                    self.emit(
                        Point(
                            run=r.title,
                            kind="epoch",
                            epoch=epoch,
                            step=step,
                            images=self.images,
                            lr=r.lr,
                            epoch_seconds=seconds,
                            images_per_second=images / seconds if seconds > 0 else None,
                            elapsed=self.elapsed(),
                            memory_bytes=self.memory(),
                        )
                    )
                if not (config.eval_every and step % config.eval_every == 0):
                    self.test_all(epoch, step)
            if stopped or not any(r.active for r in self.runs):
                break
        if stopped and step > self.tested_at and any(r.active for r in self.runs):
            # the weights moved since the last test: score the network the student stopped, so
            # the board, the checkpoint and the picture tabs all describe the same one
            self.test_all(epoch, step)
        self.finish(step, stopped)
        return [r.result for r in self.runs]

    def _batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, bool]:
        """The batch at these indices, augmented. A full one is gathered into the fixed
        buffers a CUDA graph reads (full: True); a shorter last batch into new tensors."""
        import torch

        from .data import augment_batch

        data, config = self.data, self.config
        bx, by = self.batch_x, self.batch_y
        if bx is None or by is None or len(index) != len(bx):
            x = augment_batch(data.train_x[index], config.augment, self.generator, self.background)
            return x, data.train_y[index], False
        torch.index_select(data.train_x, 0, index, out=bx)
        torch.index_select(data.train_y, 0, index, out=by)
        x = augment_batch(bx, config.augment, self.generator, self.background)
        if x is not bx:
            bx.copy_(x)
        return bx, by, True

    def elapsed(self) -> float:
        """Seconds spent training so far: pauses and test-set evaluation left out."""
        return time.perf_counter() - self.t0 - self.paused - self.eval_seconds

    def _wait_paused(self) -> None:
        start = time.perf_counter()
        assert self.pause is not None
        while self.pause.is_set() and not self.stop.is_set():
            self.stop.wait(0.05)
        waited = time.perf_counter() - start
        self.paused += waited
        self.last_flush += waited

    def _out_of_memory(self, r: _Run, step: int) -> None:
        import torch

        from ..stacks.tally import short_bytes, tally

        r.release()
        if self.device == "cuda":
            torch.cuda.empty_cache()
        b = self.config.batch_size
        try:
            estimate = tally(self.stack, batch=b, optimizer=r.settings.name).totals.training_bytes
            guess = f"the builder estimates {short_bytes(estimate)} for one training step"
        except Exception:  # the estimate is advice only
            guess = "see the builder's training-step estimate"
        message = (
            f"{self.device} out of memory at step {step} with batch size {b}: {guess}; "
            f"try batch size {max(1, b // 2)} or a smaller stack"
        )
        self._fail(r, step, message)

    def _fail(self, r: _Run, step: int, message: str) -> None:
        r.active = False
        r.result.status = "error"
        r.result.message = message
        r.result.steps = step
        self.emit(Point(run=r.title, kind="error", step=step, lr=r.lr, message=message))

    def flush(self, step: int) -> None:
        """Copy the new losses and correct counts home and report them (one sync)."""
        now = time.perf_counter()
        wall = now - self.last_flush
        images = self.images - self.images_at_flush
        self.last_flush = now
        self.images_at_flush = self.images
        rate = images / wall if wall > 0 and images else None
        spe = self.steps_per_epoch
        for r in self.runs:
            start, r.flushed = r.flushed, step
            if not r.active:
                r.record.clear()
                continue
            losses, correct, rates = r.record.take()
            if not losses:
                continue
            bad = next((i for i, v in enumerate(losses) if not math.isfinite(v)), None)
            good = len(losses) if bad is None else bad
            # the steps before a NaN are reported as usual: they are what led up to it
            self._report_slice(r, start, losses[:good], correct[:good], rate)
            if bad is not None:
                s = start + bad
                message = _nonfinite_message(losses[bad], s, s // spe, s % spe, rates[bad])
                self._fail(r, s, message)

    def _report_slice(
        self, r: _Run, start: int, losses: list[float], correct: list[int], rate: float | None
    ) -> None:
        """Log points for the slice's logged iterations, and one train point averaging it."""
        if not losses:
            return
        spe = self.steps_per_epoch
        end = start + len(losses)
        log_every = self.config.log_every
        if log_every:
            for offset, value in enumerate(losses):
                s = start + offset
                if (s % spe) % log_every == 0:
                    self.emit(
                        Point(
                            run=r.title,
                            kind="log",
                            epoch=s // spe,
                            iteration=s % spe,
                            step=s,
                            loss=value,
                        )
                    )
        sizes = self.sizes[start:end]
        count = sum(sizes)
        self.emit(
            Point(
                run=r.title,
                kind="train",
                epoch=(end - 1) // spe,
                step=end,
                iteration=(end - 1) % spe,
                images=sum(self.sizes[:end]) if end != len(self.sizes) else self.images,
                loss=sum(v * n for v, n in zip(losses, sizes, strict=True)) / count,
                accuracy=sum(correct) / count,
                lr=r.lr,
                images_per_second=rate,
                elapsed=self.elapsed(),
                memory_bytes=self.memory(),
            )
        )
        r.result.steps = end

    def test_all(self, epoch: int, step: int) -> None:
        self.tested_at = step
        start = time.perf_counter()
        try:
            self._test_all(epoch, step, self.elapsed())
        finally:
            spent = time.perf_counter() - start
            self.eval_seconds += spent
            self.last_flush += spent

    def _test_all(self, epoch: int, step: int, elapsed: float) -> None:
        oom = _out_of_memory_types()
        for r in self.runs:
            if not r.active:
                continue
            try:
                loss, accuracy = evaluate(
                    r.model, self.data, self.loss_fn, self.config.test_batch_size
                )
                ema = r.ema_model()
                ema_loss = ema_accuracy = None
                if ema is not None:
                    ema_loss, ema_accuracy = evaluate(
                        ema, self.data, self.loss_fn, self.config.test_batch_size
                    )
            except oom:
                self._out_of_memory(r, step)
                continue
            except (RuntimeError, ValueError, IndexError) as exc:
                if _is_out_of_memory(exc):
                    self._out_of_memory(r, step)
                else:
                    self._fail(r, step, f"testing failed: {_first_line(exc)}")
                continue
            broken = next(
                (
                    (name, value)
                    for name, value in (("test loss", loss), ("EMA test loss", ema_loss))
                    if value is not None and not math.isfinite(value)
                ),
                None,
            )
            if broken is not None and step > 0:
                # the last step's update broke the weights: its own loss was still finite
                last, spe = step - 1, self.steps_per_epoch
                name, value = broken
                message = _nonfinite_message(
                    value, last, last // spe, last % spe, r.last_rate, name
                )
                self._fail(r, step, message)
                continue
            r.result.test_loss, r.result.test_accuracy = loss, accuracy
            r.result.ema_test_loss, r.result.ema_test_accuracy = ema_loss, ema_accuracy
            self.emit(
                Point(
                    run=r.title,
                    kind="test",
                    epoch=epoch,
                    step=step,
                    images=self.images,
                    loss=loss,
                    accuracy=accuracy,
                    ema_loss=ema_loss,
                    ema_accuracy=ema_accuracy,
                    lr=r.lr,
                    elapsed=elapsed,
                    memory_bytes=self.memory(),
                )
            )

    def finish(self, step: int, stopped: bool) -> None:
        self.train_seconds = self.elapsed()
        for r in self.runs:
            r.model.eval()
            r.result.model = r.model
            r.result.ema_model = r.ema_model()
            r.result.seconds = self.train_seconds
            r.result.cuda_graph = r.graphed
            if self.device == "cuda" and not r.graphed:
                r.result.graph_note = r.graph_note or "no full batch to capture"
            if self.train_seconds > 0:
                r.result.images_per_second = self.images / self.train_seconds
            if r.result.status == "error":
                continue
            r.result.status = "stopped" if stopped else "done"
            r.result.steps = step
            message = (
                f"stopped at step {step} of {self.total_steps}"
                if stopped
                else f"finished {self.config.epochs} epoch{'' if self.config.epochs == 1 else 's'}"
            )
            r.result.message = message
            self.emit(
                Point(
                    run=r.title,
                    kind="stopped" if stopped else "done",
                    epoch=r.result.epochs,
                    step=step,
                    images=self.images,
                    loss=r.result.test_loss,
                    accuracy=r.result.test_accuracy,
                    elapsed=self.train_seconds,
                    images_per_second=r.result.images_per_second,
                    message=message,
                )
            )


def train(
    config: TrainConfig,
    report: Callable[[Point], None] | None = None,
    stop: threading.Event | None = None,
    *,
    pause: threading.Event | None = None,
    log: MetricsLog | None = None,
    save: str | Path | None = None,
    live: LiveRun | None = None,
) -> TrainResult:
    """Train config.model on config.dataset with each of config.optimizers.

    Every Point goes to `log` (a new MetricsLog if None) and then to `report`. Setting `stop`
    ends every run within one batch (status 'stopped'); while `pause` is set the loop waits.
    A NaN/inf loss or out-of-memory ends that run with status 'error' and a message; the
    other runs of a race go on. Raises TrainingError / DatasetError / StackError / ConfigError
    before the first step when the run cannot start. `save`: checked before the run
    (check_writable), then a checkpoint written at the end (atomically) that
    torch.load(path, weights_only=True) reads; a write that still fails there leaves the runs
    and sets save_error. `live` is filled with the dataset and the models as soon as they exist.
    """
    if save is not None:
        check_writable(save, "checkpoint")  # before the run, which a late failure would lose
    log = log if log is not None else MetricsLog()
    trainer = _Trainer(config, report, stop or threading.Event(), pause, log, live)
    try:
        trainer.setup()
    except TrainingError:
        raise
    except (MemoryError, RuntimeError) as exc:
        if not _is_out_of_memory(exc):
            raise
        device = getattr(trainer, "device", config.device)
        stack = getattr(trainer, "stack", None)
        raise TrainingError(_setup_out_of_memory_message(device, stack, config, exc)) from None
    runs = trainer.run()
    result = TrainResult(
        config=config,
        device=trainer.device,
        device_name=trainer.device_name,
        runs=runs,
        log=log,
        data=trainer.data,
    )
    if save is not None:
        try:
            result.checkpoint = save_checkpoint(result, trainer.stack, save)
        except (OSError, RuntimeError, MemoryError) as exc:
            # the runs are done: keep them and say why the file is missing (the old file, if
            # any, is as it was and the temporary file is gone: write_atomic sees to both)
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            result.save_error = f"checkpoint not saved to {save}: {_one_line(why)}"
    return result
