"""The metric history of a training run: points reported a few times a second, kept thread-safe.

The training thread appends; the app and the CLI read snapshots. Nothing here touches torch:
every number is a plain float that the engine already copied off the device.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

PointKind = Literal["start", "train", "test", "log", "epoch", "done", "stopped", "error"]

Axis = Literal["step", "epoch"]
"""What a curve is drawn against: optimizer steps, or epochs (train points fall between)."""

AXES: tuple[Axis, ...] = ("step", "epoch")
"""The x axes, in the order a toggle goes through them; the first is the default."""


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

    def steps_per_epoch(self, run: str) -> int | None:
        """Optimizer steps in one of the run's epochs (see steps_per_epoch_of)."""
        return steps_per_epoch_of(self.points(run))

    def series(
        self, run: str, kind: str, value: str, axis: Axis = "step"
    ) -> tuple[list[float], list[float]]:
        """(xs, values) of one quantity, skipping points that lack it: ready to plot. xs are
        steps, or epochs (see x_of) when axis is 'epoch'."""
        chosen = self.points(run)  # one snapshot: its start point and its points agree
        per_epoch = steps_per_epoch_of(chosen) if axis == "epoch" else None
        xs: list[float] = []
        ys: list[float] = []
        for point in chosen:
            if point.kind != kind:
                continue
            y = getattr(point, value)
            if y is not None:
                xs.append(x_of(point, axis, per_epoch))
                ys.append(float(y))
        return xs, ys

    def x_end(self, axis: Axis = "step") -> float | None:
        """The right end of a plot's x axis: the longest run's planned length (its start point's
        total_steps), in steps or epochs; None while no run has said."""
        ends: dict[str, float] = {}
        for start in self.points(kind="start"):
            total = _positive_int(start.extra.get("total_steps"))
            per_epoch = _positive_int(start.extra.get("steps_per_epoch"))
            if total is None:
                continue
            if axis == "step":
                ends[start.run] = float(total)
            elif per_epoch is not None:
                ends[start.run] = total / per_epoch
        return max(ends.values(), default=None)

    def to_jsonl(self) -> str:
        return "".join(json.dumps(p.to_dict()) + "\n" for p in self.points())


def _positive_int(value: Any) -> int | None:
    """value as a whole number above 0, or None (missing, zero, or not a number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value <= 0 or value != int(value):
        return None
    return int(value)


def steps_per_epoch_of(points: Iterable[Point]) -> int | None:
    """Optimizer steps per epoch, from one run's points: its (last) start point's
    extra['steps_per_epoch']; else a finished epoch's step / (epoch + 1) (epoch points come only
    after whole epochs); None when neither is there."""
    from_start: int | None = None
    from_epoch: int | None = None
    for point in points:
        if point.kind == "start":
            from_start = _positive_int(point.extra.get("steps_per_epoch")) or from_start
        elif point.kind == "epoch" and from_epoch is None and point.step > 0:
            whole, left = divmod(point.step, point.epoch + 1)
            from_epoch = whole if left == 0 else None
    return from_start or from_epoch


def epoch_x(point: Point, steps_per_epoch: int | None) -> float:
    """Where a point lies on an epoch axis: step / steps_per_epoch, so the test after epoch 0
    lands at 1.0 and the train points of epoch 0 at fractions up to it. Without
    steps_per_epoch, at the end of the epoch the point belongs to (epoch + 1); start, log,
    done and stopped points at their epoch field (done and stopped count epochs completed)."""
    if steps_per_epoch:
        return point.step / steps_per_epoch
    if point.kind in ("train", "test", "epoch"):
        return float(point.epoch + 1)
    return float(point.epoch)


def x_of(point: Point, axis: Axis, steps_per_epoch: int | None = None) -> float:
    """The point's x on a plot against steps (its step) or epochs (epoch_x)."""
    if axis == "epoch":
        return epoch_x(point, steps_per_epoch)
    return float(point.step)


NICE_STEPS = (1.0, 2.0, 5.0)
"""Tick spacings are these times a power of ten."""


def epoch_ticks(low: float, high: float, max_ticks: int = 8) -> list[float]:
    """Tick positions for an epoch axis from low to high: about five gaps at a spacing of 1, 2
    or 5 times a power of ten, and whole epochs whenever the axis spans two or more."""
    span = high - low
    if not (math.isfinite(low) and math.isfinite(high)) or span <= 0:
        return [float(low)] if math.isfinite(low) else []
    power = math.floor(math.log10(span / 5))
    spacings = [
        nice * 10.0**exponent for exponent in range(power, power + 3) for nice in NICE_STEPS
    ]
    spacing = next(
        (
            spacing
            for spacing in spacings
            if (span < 2 or spacing >= 1)
            and span / spacing <= 5
            and math.floor(span / spacing) + 1 <= max_ticks
        ),
        spacings[-1],
    )
    first = math.ceil(low / spacing - 1e-9)
    last = math.floor(high / spacing + 1e-9)
    decimals = max(0, -math.floor(math.log10(spacing)))
    return [round(index * spacing, decimals) for index in range(first, last + 1)]


def tick_labels(ticks: list[float]) -> list[str]:
    """Labels for evenly spaced ticks: as many decimals as their spacing needs ('0', '1', '2';
    '0.0', '0.2', '0.4')."""
    if not ticks:
        return []
    spacing = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(spacing))) if spacing > 0 else 0
    return [f"{tick:.{decimals}f}" for tick in ticks]


def smooth(values: list[float], weight: float = 0.6) -> list[float]:
    """Exponential smoothing for a noisy training-loss curve (TensorBoard's slider)."""
    out: list[float] = []
    last = None
    for value in values:
        last = value if last is None else weight * last + (1 - weight) * value
        out.append(last)
    return out
