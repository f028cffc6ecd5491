"""Checkpoints: a run's weights, config, stack and metrics written atomically with torch.save and
read back with torch.load(weights_only=True); and the check, before a run, that the file can be
written. torch is imported inside the functions."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..safe_files import (
    CHECKPOINT_FILE_LIMIT,
    check_readable,
    check_regular,
    nearest_existing,
    resolve_target,
    write_atomic,
)
from ..stacks.shapes import format_shape
from ..stacks.stack import Stack
from .devices import TrainingError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from .results import TrainResult


CHECKPOINT_FORMAT = "cnn-tui-checkpoint"
CHECKPOINT_VERSION = 1


def check_writable(path: str | Path, what: str) -> Path:
    """Refuse, before a run starts, a file that could not be written when it ends: a folder,
    a parent that is a file, a folder no file can be created in (probed with a temporary file
    that is removed at once). Missing folders are fine: they are made when the file is written.
    Raises TrainingError naming `what` ('--save', 'checkpoint') and the path."""
    target = Path(path).expanduser()
    try:
        check_regular(resolve_target(target))  # a FIFO or a device is never replaced
    except IsADirectoryError:
        raise TrainingError(
            f"{what} {path} is a folder: name a file in it, like {target / 'run.pt'}"
        ) from None
    except OSError as exc:
        raise TrainingError(f"{what} {path}: {exc.strerror or exc}") from None
    folder = nearest_existing(target.parent)  # write_atomic makes the missing folders
    if not folder.is_dir():
        raise TrainingError(f"{what} {path}: {folder} is a file, not a folder")
    try:
        handle, probe = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    except OSError as exc:
        raise TrainingError(
            f"{what} {path}: cannot create a file in {folder} ({exc.strerror or exc})"
        ) from None
    os.close(handle)
    os.unlink(probe)
    return target


def save_checkpoint(result: TrainResult, stack: Stack, path: str | Path) -> Path:
    """Weights, config, stack and metrics of every run, written atomically."""

    def cpu_state(model: nn.Module | None) -> dict[str, torch.Tensor] | None:
        if model is None:
            return None
        return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}

    data = result.data
    payload: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "config": result.config.to_dict(),
        "stack": {"spec": stack.spec, "input": format_shape(stack.input_shape)},
        "device": result.device,
        "labels": list(data.labels) if data is not None else [],
        "normalisation": {
            "mean": data.mean.cpu().tolist() if data is not None else [],
            "std": data.std.cpu().tolist() if data is not None else [],
        },
        "runs": {
            run.run: {
                "state_dict": cpu_state(run.model),
                "ema_state_dict": cpu_state(run.ema_model),
                "result": run.to_dict(),
                "metrics": [p.to_dict() for p in result.log.points(run=run.run)],
            }
            for run in result.runs
        },
    }
    target = Path(path).expanduser()
    write_atomic(target, lambda handle: _torch_save(payload, handle))
    return target


def _torch_save(payload: dict[str, Any], handle: Any) -> None:
    """torch.save, with a failed write reported as the OSError it is: torch turns a short
    write (a full disk) into a RuntimeError, keeping the OSError only as its context."""
    import torch

    try:
        torch.save(payload, handle)
    except RuntimeError as exc:
        cause = _os_error_behind(exc)
        if cause is not None:
            raise OSError(cause.errno, cause.strerror or str(cause)) from exc
        raise OSError(errno.EIO, f"torch could not write it ({_one_line(str(exc))})") from exc


def _os_error_behind(exc: BaseException) -> OSError | None:
    """The OSError among an exception's causes and contexts, if there is one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _one_line(text: str) -> str:
    """A message on one line: torch's may span several."""
    return " ".join(text.split()) or "no reason given"


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """{'format', 'version', 'config', 'stack', 'labels', 'runs': {name: {'state_dict', ...}}}."""
    import torch

    target = Path(path).expanduser()
    try:
        check_readable(target, CHECKPOINT_FILE_LIMIT)  # a FIFO would hang torch.load
        payload = torch.load(target, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise TrainingError(f"no checkpoint at {target}") from None
    except OSError as exc:
        raise TrainingError(f"checkpoint {target}: {exc.strerror or exc}") from None
    except Exception as exc:
        raise TrainingError(f"{target} is not a readable checkpoint: {exc}") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise TrainingError(f"{target} is not a cnn-tui checkpoint")
    return payload
