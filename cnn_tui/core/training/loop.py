"""The training engine: train(config, report, stop) on a CUDA GPU, Apple's MPS or the CPU.

The whole dataset sits on the device; each step draws its batch by index and augments it there.
Nothing is copied back per step: each step writes its loss and correct count into preallocated
device buffers, and a few times a second (config.report_seconds) one copy brings the new slice
home. From that slice come the training points, the lecture's per-100-iteration log lines and
the exact step where a loss first went NaN. A race steps several optimizers on the same batches
from identical initial weights. torch is imported inside the functions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from .checkpoints import _one_line, check_writable, save_checkpoint
from .checks import _setup_out_of_memory_message
from .devices import TrainingError, _is_out_of_memory, cpu_threads
from .metrics import MetricsLog, Point
from .results import LiveRun, TrainResult
from .train_config import TrainConfig
from .trainer import _Trainer


def train(
    config: TrainConfig,
    report: Callable[[Point], None] | None = None,
    stop: threading.Event | None = None,
    *,
    pause: threading.Event | None = None,
    log: MetricsLog | None = None,
    save: str | Path | None = None,
    live: LiveRun | None = None,
    hold: threading.Event | None = None,
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
    While `hold` is set the loop waits between steps, a fraction of a second at most (the app
    drawing the answer to a key); it changes the timing only.
    """
    if save is not None:
        check_writable(save, "checkpoint")  # before the run, which a late failure would lose
    log = log if log is not None else MetricsLog()
    trainer = _Trainer(config, report, stop or threading.Event(), pause, log, live, hold)
    with cpu_threads(config.cpu_threads):
        _set_up(trainer, config)
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


def _set_up(trainer: _Trainer, config: TrainConfig) -> None:
    """The trainer's set-up; running out of memory there is a TrainingError naming the
    sizes."""
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
