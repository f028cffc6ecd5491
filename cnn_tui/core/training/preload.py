"""Loading PyTorch ahead of need: the Train screen starts it in the background when it opens, so
the first run does not wait seconds on the import, and says what it is still waiting for."""

from __future__ import annotations

import threading
import time

_started: float | None = None
_ready = threading.Event()
_lock = threading.Lock()


def _load() -> None:
    try:
        import torch  # noqa: F401  (the import is the work)
    finally:
        _ready.set()  # a failed import is reported by the run that needs torch


def preload_torch() -> None:
    """Import torch in a daemon thread, once per process (later calls do nothing)."""
    global _started
    with _lock:
        if _started is not None:
            return
        _started = time.monotonic()
    threading.Thread(target=_load, name="cnn-tui torch preload", daemon=True).start()


def torch_loaded() -> bool:
    """Whether the background import has finished (False before it started)."""
    return _ready.is_set()


def loading_stage(dataset: str, seconds: float) -> str:
    """What a run that has not reported yet is waiting for, with how long it has waited."""
    what = f"loading {dataset} and building the model" if torch_loaded() else "loading PyTorch"
    return f"{what} ({seconds:.0f} s)..."
