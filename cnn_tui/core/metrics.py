"""The metric history of a training run: points reported a few times a second, kept thread-safe.

The training thread appends; the app and the CLI read snapshots. Nothing here touches torch:
every number is a plain float that the engine already copied off the device.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

PointKind = Literal["start", "train", "test", "log", "epoch", "done", "stopped", "error"]


@dataclass(frozen=True)
class Point:
    """One report from one run.

    kind:
      start    the run is set up (device, steps_per_epoch, total_steps, params known)
      train    loss/accuracy over the training batches since the previous train point
      log      the loss of one iteration, the lecture's 'Train Epoch: 0, iteration: 100' line
      test     test-set loss/accuracy (after an epoch, or every eval_every steps)
      epoch    an epoch ended: epoch_seconds, images_per_second over that epoch
      done     the run finished all its epochs
      stopped  the student (or the stop event) ended it early
      error    it failed: message says why (NaN loss, out of memory, ...)
    """

    run: str
    """The optimizer's title: 'sgd', 'adam', 'sgd lr=0.1'."""
    kind: PointKind
    epoch: int = 0
    """0-based epoch the point belongs to; in done and stopped points, the epochs completed."""
    step: int = 0
    """Global optimizer steps done so far (over all epochs)."""
    iteration: int = 0
    """Step within the epoch (0-based), for 'log' points."""
    images: int = 0
    """Training images seen so far."""
    loss: float | None = None
    accuracy: float | None = None
    """Fraction correct in [0, 1]."""
    ema_loss: float | None = None
    ema_accuracy: float | None = None
    lr: float | None = None
    images_per_second: float | None = None
    elapsed: float = 0.0
    """Seconds of training so far, pauses excluded."""
    epoch_seconds: float | None = None
    memory_bytes: int | None = None
    """Device memory allocated by torch now (CUDA only)."""
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    """start: device, device_name, steps_per_epoch, total_steps, params, train_size, test_size."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: empty fields left out, NaN and infinities (a diverged run) left out too,
        since JSON has no such numbers."""
        data = asdict(self)
        return {
            k: v for k, v in data.items() if v is not None and v != "" and v != {} and _finite(v)
        }


def _finite(value: Any) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


def json_safe(value: Any) -> Any:
    """A structure with every NaN or infinite float replaced by None, for strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


class MetricsLog:
    """Every point of every run, appended by the trainer thread, read by anyone.

    `version` grows with each append, so a reader redraws only when something changed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._points: list[Point] = []
        self._runs: list[str] = []

    def append(self, point: Point) -> None:
        with self._lock:
            self._points.append(point)
            if point.run not in self._runs:
                self._runs.append(point.run)

    @property
    def version(self) -> int:
        with self._lock:
            return len(self._points)

    def runs(self) -> list[str]:
        """Run names in the order they first reported."""
        with self._lock:
            return list(self._runs)

    def points(
        self, run: str | None = None, kind: str | None = None, since: int = 0
    ) -> list[Point]:
        """A copy of the points (from index `since`), filtered by run and kind."""
        with self._lock:
            chosen = self._points[since:]
        return [
            p for p in chosen if (run is None or p.run == run) and (kind is None or p.kind == kind)
        ]

    def last(self, run: str, kind: str | None = None) -> Point | None:
        with self._lock:
            for point in reversed(self._points):
                if point.run == run and (kind is None or point.kind == kind):
                    return point
        return None

    def series(self, run: str, kind: str, value: str) -> tuple[list[float], list[float]]:
        """(steps, values) of one quantity, skipping points that lack it: ready to plot."""
        xs: list[float] = []
        ys: list[float] = []
        for point in self.points(run, kind):
            y = getattr(point, value)
            if y is not None:
                xs.append(float(point.step))
                ys.append(float(y))
        return xs, ys

    def to_jsonl(self) -> str:
        return "".join(json.dumps(p.to_dict()) + "\n" for p in self.points())


def smooth(values: list[float], weight: float = 0.6) -> list[float]:
    """Exponential smoothing for a noisy training-loss curve (TensorBoard's slider)."""
    out: list[float] = []
    last = None
    for value in values:
        last = value if last is None else weight * last + (1 - weight) * value
        out.append(last)
    return out
