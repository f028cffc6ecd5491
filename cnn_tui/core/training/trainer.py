"""The training loop (_Trainer): set-up on the device, the steps of every run of a race, the
flushes that report their losses, test-set evaluation and the ending. torch is imported inside
the functions."""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .checks import _check_fits, _check_ram, _check_shift, _known_classes, _nonfinite_message
from .devices import (
    TrainingError,
    _first_line,
    _is_out_of_memory,
    _noise_state,
    _out_of_memory_types,
    _set_noise_state,
    device_title,
    pick_device,
)
from .evaluation import _loss_function, evaluate
from .metrics import MetricsLog, Point
from .results import LiveRun, RunResult
from .run_state import _Run
from .train_config import TrainConfig

MAX_HOLD_SECONDS = 0.3
"""The longest the loop waits for one `hold` (the app drawing what a key asked for): a flag
left set by mistake slows the run, never stops it."""

if TYPE_CHECKING:
    import torch

    from ..stacks.stack import Stack
    from .data import DeviceData


class _Trainer:
    """One call of train(): set-up, then every run of the race step by step to the end."""

    def __init__(
        self,
        config: TrainConfig,
        report: Callable[[Point], None] | None,
        stop: threading.Event,
        pause: threading.Event | None,
        log: MetricsLog,
        live: LiveRun | None,
        hold: threading.Event | None = None,
    ) -> None:
        self.config = config
        self.hold = hold
        """Set by the app while it answers a key: the loop waits between steps (up to
        MAX_HOLD_SECONDS), so drawing does not share the CPU with training. Timing only: the
        numbers are the same."""
        self.report = report
        self.stop = stop
        self.pause = pause
        self.log = log
        self.live = live
        # set by setup(): the device, the stack and its data, and the runs of the race
        self.device = config.device
        """'cuda', 'mps' or 'cpu': the one asked for until setup() picks it."""
        self.device_name = ""
        self.stack: Stack
        self.data: DeviceData
        self.loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
        self.params = 0
        """Parameters of the network (of one copy)."""
        self.steps_per_epoch = 0
        self.total_steps = 0
        self.runs: list[_Run] = []
        self.batch_x: torch.Tensor | None = None
        """Fixed input buffers that full batches are gathered into, for graphed runs to read."""
        self.batch_y: torch.Tensor | None = None
        self.generator: torch.Generator
        """Draws the shuffles and the augmentation."""
        self.same_noise = False
        """Whether every run of the race draws the same dropout masks at each step."""
        self.background: torch.Tensor
        """The normalised value of a black pixel, which shifted images are padded with."""
        # counted by run(): the clock (pauses and evaluation apart) and the images seen
        self.t0 = 0.0
        self.paused = 0.0
        self.eval_seconds = 0.0
        self.last_flush = 0.0
        self.train_seconds = 0.0
        """Seconds spent training, set at the end."""
        self.tested_at = 0
        """The step of the latest test-set evaluation."""
        self.images = 0
        self.images_at_flush = 0
        self.sizes: list[int] = []
        """The batch size of every step so far."""
        self.epoch_sums: dict[str, tuple[list[float], int, int]] = {}
        """Per run, over the epoch in hand: each step's loss times its batch size, the correct
        count and the images. Every train point carries the epoch's mean so far (math.fsum:
        exact), the same figure however the flushes cut the steps (a race flushes at other
        steps than a run alone)."""

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
        from .finetune import load_start, prepare_model

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
        start = load_start(config, stack)
        self.data = load_dataset(
            info.name,
            stack.input_shape,
            device=self.device,
            data_dir=config.data_dir,
            download=config.download,
            limit_train=config.limit_train,
            classes=_known_classes(config, len(info.labels)),
            normalisation=(start.mean, start.std) if start and start.mean else None,
        )
        self.loss_fn = _loss_function(stack)
        torch.manual_seed(config.seed)
        base = build_module(stack)
        prepare_model(base, start, config.freeze, config.new_head)
        base = base.to(self.device)
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
        for r in self.runs:
            self.emit(self._start_point(r))
        self._start_clock()
        oom = _out_of_memory_types()
        step, epoch, stopped = 0, 0, False
        for epoch in range(self.config.epochs):
            step, stopped = self._run_epoch(epoch, step, oom)
            if stopped or not any(r.active for r in self.runs):
                break
        if stopped and step > self.tested_at and any(r.active for r in self.runs):
            # the weights moved since the last test: score the network the student stopped, so
            # the board, the checkpoint and the picture tabs all describe the same one
            self.test_all(epoch, step)
        self.finish(step, stopped)
        return [r.result for r in self.runs]

    def _start_point(self, r: _Run) -> Point:
        """What a run starts with: its optimizer, the device and the sizes of the run."""
        config = self.config
        return Point(
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

    def _start_clock(self) -> None:
        self.t0 = time.perf_counter()
        self.last_flush = time.perf_counter()

    def _run_epoch(
        self, epoch: int, step: int, oom: tuple[type[BaseException], ...]
    ) -> tuple[int, bool]:
        """One shuffle of the training set, step by step: the step reached, and whether the
        student stopped the run."""
        import torch

        config = self.config
        order = torch.randperm(len(self.data.train_y), device=self.device, generator=self.generator)
        epoch_start = self.elapsed()
        epoch_images = self.images
        self.epoch_sums = {}
        stopped = False
        for iteration in range(self.steps_per_epoch):
            if self._stop_asked():
                stopped = True
                break
            index = order[iteration * config.batch_size : (iteration + 1) * config.batch_size]
            self._step_all(index, step, oom)
            step += 1
            if not any(r.active for r in self.runs):
                break
            self._flush_and_test(epoch, step)
        self.flush(step)
        seconds = self.elapsed() - epoch_start
        if not stopped and any(r.active for r in self.runs):
            self._end_epoch(epoch, step, seconds, self.images - epoch_images)
        return step, stopped

    def _stop_asked(self) -> bool:
        """Whether to stop before the next step (waiting here while the run is paused, or
        held for a moment while the app answers a key)."""
        if self.stop.is_set():
            return True
        if self.hold is not None and self.hold.is_set():
            self._wait_held()
        if self.pause is not None and self.pause.is_set():
            self._wait_paused()
            if self.stop.is_set():
                return True
        return False

    def _step_all(
        self, index: torch.Tensor, step: int, oom: tuple[type[BaseException], ...]
    ) -> None:
        """One step of every active run on the batch at these indices; a run that fails ends
        alone."""
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
        self.images += len(y)

    def _flush_and_test(self, epoch: int, step: int) -> None:
        """A flush when report_seconds have passed or a record is full; a test every
        eval_every steps."""
        config = self.config
        if time.perf_counter() - self.last_flush >= config.report_seconds or any(
            r.record.full for r in self.runs
        ):
            self.flush(step)
        if config.eval_every and step % config.eval_every == 0:
            self.flush(step)
            self.test_all(epoch, step)

    def _end_epoch(self, epoch: int, step: int, seconds: float, images: int) -> None:
        """Each active run's epoch point, then a test unless this step just had one."""
        config = self.config
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

    def _wait_held(self) -> None:
        start = time.perf_counter()
        assert self.hold is not None
        while self.hold.is_set() and not self.stop.is_set():
            if time.perf_counter() - start > MAX_HOLD_SECONDS:
                break
            self.stop.wait(0.002)
        waited = time.perf_counter() - start
        self.paused += waited  # the clock and the speed leave the wait out, as a pause's
        self.last_flush += waited

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
        total = sum(v * n for v, n in zip(losses, sizes, strict=True))
        parts, right, seen = self.epoch_sums.get(r.title, ([], 0, 0))
        parts.extend(v * n for v, n in zip(losses, sizes, strict=True))
        right, seen = right + sum(correct), seen + count
        self.epoch_sums[r.title] = (parts, right, seen)
        self.emit(
            Point(
                run=r.title,
                kind="train",
                epoch=(end - 1) // spe,
                step=end,
                iteration=(end - 1) % spe,
                images=sum(self.sizes[:end]) if end != len(self.sizes) else self.images,
                loss=total / count,
                accuracy=sum(correct) / count,
                lr=r.lr,
                images_per_second=rate,
                elapsed=self.elapsed(),
                memory_bytes=self.memory(),
                extra={"epoch_loss": math.fsum(parts) / seen, "epoch_accuracy": right / seen},
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
