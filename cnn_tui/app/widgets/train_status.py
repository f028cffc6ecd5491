"""TrainStatus: one line saying where a run is: epoch, step, images/s, ETA, device and memory."""

from __future__ import annotations

from dataclasses import dataclass

from textual.widgets import Static

from ...core.training.metrics import MetricsLog, Point

ENDINGS = ("done", "stopped", "error")
"""Point kinds that end a run."""


def clock(seconds: float) -> str:
    """75 -> '1:15', 3725 -> '1:02:05'."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def memory(size: int) -> str:
    """Bytes in MiB or GiB (2^20, 2^30), as torch.cuda reports them."""
    if size >= 1 << 30:
        return f"{size / (1 << 30):.1f} GiB"
    return f"{size / (1 << 20):.0f} MiB"


def ending_of(log: MetricsLog, run: str) -> Point | None:
    """The done / stopped / error point of a run, if it has ended."""
    for kind in ENDINGS:
        point = log.last(run, kind)
        if point is not None:
            return point
    return None


@dataclass(frozen=True)
class Progress:
    """Where the runs of a log stand, put together for the status line."""

    state: str
    """'starting', 'training', 'paused', 'done', 'stopped' or 'error'."""
    epoch: int
    """1-based epoch of the slowest run still going (or the last one when all ended)."""
    epochs: int
    step: int
    total_steps: int
    images_per_second: float | None
    """The fastest run still going (its last report): a race steps every optimizer on the same
    batches, so this is how fast the data goes by."""
    eta_seconds: float | None
    elapsed: float
    device_name: str
    cuda_graph: bool
    """Whether the runs step by replaying a captured CUDA graph (all of them, on a GPU)."""
    memory_bytes: int | None


def progress(log: MetricsLog, paused: bool = False) -> Progress | None:
    """The state of the log's runs now; None before the first point."""
    runs = log.runs()
    if not runs:
        return None
    starts = [p for p in (log.last(run, "start") for run in runs) if p is not None]
    extra = starts[0].extra if starts else {}
    total = int(extra.get("total_steps") or 0)
    per_epoch = int(extra.get("steps_per_epoch") or 0)
    epochs = int(extra.get("epochs") or (total // per_epoch if per_epoch else 0))
    ended = {run: ending_of(log, run) for run in runs}
    going = [run for run in runs if ended[run] is None]
    latest = {run: log.last(run, "train") for run in runs}
    watched = [latest[run] for run in (going or runs) if latest[run] is not None]
    slowest = min(watched, key=lambda p: p.step) if watched else None
    speeds = [p.images_per_second for run in going if (p := latest[run]) and p.images_per_second]
    etas = []
    for run in going:
        point = latest[run]
        if point is not None and point.step and total:
            etas.append(point.elapsed * (total - point.step) / point.step)
    memories = [p.memory_bytes for p in latest.values() if p is not None and p.memory_bytes]
    if going:
        state = "paused" if paused else ("training" if slowest is not None else "starting")
    else:
        kinds = {point.kind for point in ended.values() if point is not None}
        state = "error" if kinds == {"error"} else ("stopped" if "stopped" in kinds else "done")
    return Progress(
        state=state,
        epoch=(slowest.epoch + 1) if slowest else 1,
        epochs=epochs,
        step=slowest.step if slowest else 0,
        total_steps=total,
        images_per_second=max(speeds) if speeds else None,
        eta_seconds=max(etas) if etas else None,
        elapsed=max((p.elapsed for p in watched), default=0.0),
        device_name=str(extra.get("device_name") or extra.get("device") or ""),
        cuda_graph=bool(starts) and all(p.extra.get("cuda_graph") for p in starts),
        memory_bytes=max(memories) if memories else None,
    )


def status_line(log: MetricsLog, paused: bool = False) -> str:
    """'training  epoch 2/10  step 120/450  3,456 img/s  ETA 0:42  cpu (2 threads)'."""
    now = progress(log, paused)
    if now is None:
        return ""
    parts = [now.state]
    if now.epochs:
        parts.append(f"epoch {min(now.epoch, now.epochs)}/{now.epochs}")
    if now.total_steps:
        parts.append(f"step {now.step:,}/{now.total_steps:,}")
    if now.images_per_second:
        parts.append(f"{now.images_per_second:,.0f} img/s")
    if now.state in ("training", "paused") and now.eta_seconds is not None:
        parts.append(f"ETA {clock(now.eta_seconds)}")
    elif now.state in ("done", "stopped", "error") and now.elapsed:
        parts.append(f"took {clock(now.elapsed)}")
    if now.device_name:
        parts.append(now.device_name + (" (CUDA graph)" if now.cuda_graph else ""))
    if now.memory_bytes:
        parts.append(f"mem {memory(now.memory_bytes)}")
    return "  ".join(parts)


class TrainStatus(Static):
    """The status line under the form; `show(log, paused)` rewrites it from the log."""

    DEFAULT_CSS = """
    TrainStatus {
        height: 1;
        width: 1fr;
        padding: 0 1;
        color: $text;
        background: $boost;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", markup=False, id=id, classes=classes)
        self.text = ""
        """The line shown now."""

    def show(self, log: MetricsLog, paused: bool = False) -> None:
        text = status_line(log, paused) or "no run yet: ctrl+r (or Start) trains with the form"
        if text != self.text:
            self.text = text
            self.update(text, layout=False)  # one line, always: no layout pass needed
