"""Where a training run or race stands, ready to draw: the status line (state, epoch, step,
speed, ETA, device, memory) and the leaderboard's rows, read from a MetricsLog.

The app's TrainStatus and TrainBoard only draw what these functions return.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..stacks.tally import short_bytes
from ..training.metrics import MetricsLog, Point
from .race_board import rank_runs

ENDINGS = ("done", "stopped", "error")
"""Point kinds that end a run."""

RUN_COLOURS: tuple[str, ...] = ("#3b8eea", "#ff8c1a", "#2ca02c", "#e04050", "#a070d0")
"""One colour per run of a race (MAX_RACE = 5), the same in the curves and the board; chosen to
read on dark and light backgrounds alike."""

TEST_COLOUR = RUN_COLOURS[1]
"""A single run's test curve."""

BOARD_COLUMNS: tuple[str, ...] = (
    "run",
    "test acc",
    "test loss",
    "train loss",
    "img/s",
    "epoch",
    "status",
)
"""The leaderboard's columns, in order: the keys of `BoardRow.cells`."""

MISSING = "—"
"""A leaderboard cell with no figure yet."""


def run_colour(index: int) -> str:
    """The colour of the race's `index`-th run (they repeat past MAX_RACE)."""
    return RUN_COLOURS[index % len(RUN_COLOURS)]


def clock(seconds: float) -> str:
    """75 -> '1:15', 3725 -> '1:02:05'."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def memory(size: int) -> str:
    """Bytes in binary units as torch.cuda reports them (`short_bytes`), a whole number without
    its '.0': 300 MiB, 58.1 MiB, 1.5 GiB."""
    return short_bytes(size).replace(".0 ", " ", 1)


def train_loss(point: Point | None) -> float | None:
    """A train point's "train loss": the mean over the epoch in hand so far (the engine adds
    it), the same figure whether a run trains alone or in a race; a hand-made point's own
    loss."""
    if point is None:
        return None
    value = point.extra.get("epoch_loss")
    return float(value) if value is not None else point.loss


def epoch_in_hand(log: MetricsLog, run: str) -> int:
    """The 1-based epoch a run is in (the one its last report belongs to; the last one once
    it finished): what the status line and the board both say."""
    train = log.last(run, "train")
    if train is not None:
        return train.epoch + 1
    return max(len(log.points(run, "epoch")), 1)


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


def _state(ended: dict[str, Point | None], going: list[str], trained: bool, paused: bool) -> str:
    """The word for the whole log: a run still going decides it; else how the runs ended."""
    if going:
        return "paused" if paused else ("training" if trained else "starting")
    kinds = {point.kind for point in ended.values() if point is not None}
    return "error" if kinds == {"error"} else ("stopped" if "stopped" in kinds else "done")


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
    watched = [p for run in (going or runs) if (p := latest[run]) is not None]
    slowest = min(watched, key=lambda p: p.step) if watched else None
    speeds = [p.images_per_second for run in going if (p := latest[run]) and p.images_per_second]
    etas = []
    for run in going:
        point = latest[run]
        if point is not None and point.step and total:
            etas.append(point.elapsed * (total - point.step) / point.step)
    memories = [p.memory_bytes for p in latest.values() if p is not None and p.memory_bytes]
    return Progress(
        state=_state(ended, going, slowest is not None, paused),
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
    """'training  epoch 2/10  step 120/450  3,456 img/s  ETA 0:42  cpu (2 threads)'; '' before
    the first point."""
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
    elif now.state in ENDINGS and now.elapsed:
        parts.append(f"took {clock(now.elapsed)}")
    if now.device_name:
        parts.append(now.device_name + (" (CUDA graph)" if now.cuda_graph else ""))
    if now.memory_bytes:
        parts.append(f"mem {memory(now.memory_bytes)}")
    return "  ".join(parts)


@dataclass(frozen=True)
class BoardRow:
    """One run as the leaderboard shows it."""

    run: str
    colour: str
    """Its colour in the plots."""
    test_accuracy: float | None
    """The last test-set figures (None before the first epoch ends)."""
    test_loss: float | None
    train_loss: float | None
    """The mean training loss over the epoch in hand so far (`train_loss`)."""
    images_per_second: float | None
    epoch: int
    """The epoch in hand, 1-based (`epoch_in_hand`), as the status line counts."""
    status: str
    """'starting', 'training', 'paused', 'done', 'stopped', or 'error: <why>'."""
    epochs: int = 0
    """Epochs the run has in all (0: not known)."""

    @property
    def failed(self) -> bool:
        return self.status.startswith("error")

    def cells(self) -> dict[str, str]:
        """The row's text, by column (`BOARD_COLUMNS`)."""

        def maybe(value: float | None, form: str) -> str:
            return MISSING if value is None else format(value, form)

        return {
            "run": self.run,
            "test acc": maybe(self.test_accuracy, ".1%"),
            "test loss": maybe(self.test_loss, ".4f"),
            "train loss": maybe(self.train_loss, ".4f"),
            "img/s": maybe(self.images_per_second, ",.0f"),
            "epoch": f"{self.epoch}/{self.epochs}" if self.epochs else str(self.epoch),
            "status": self.status,
        }


def run_status(ending: Point | None, trained: bool, paused: bool = False) -> str:
    """One run's status word: 'starting', 'training', 'paused', 'done', 'stopped', 'error' or
    'error: <why>'."""
    if ending is None:
        return "paused" if paused else ("training" if trained else "starting")
    if ending.kind == "error":
        return f"error: {ending.message}" if ending.message else "error"
    return ending.kind


def board_rows(log: MetricsLog, paused: bool = False) -> list[BoardRow]:
    """Every run of the log in leaderboard order (`rank_runs`: best test accuracy first)."""
    rows = []
    for index, run in enumerate(log.runs()):
        test = log.last(run, "test")
        train = log.last(run, "train")
        epochs = log.points(run, "epoch")
        start = log.last(run, "start")
        total = int(start.extra.get("epochs") or 0) if start is not None else 0
        ending = ending_of(log, run)
        speed = epochs[-1].images_per_second if epochs else None
        if train is not None and train.images_per_second and ending is None:
            speed = train.images_per_second
        rows.append(
            BoardRow(
                run=run,
                colour=run_colour(index),
                test_accuracy=test.accuracy if test else None,
                test_loss=test.loss if test else None,
                train_loss=train_loss(train),
                images_per_second=speed,
                epoch=epoch_in_hand(log, run),
                epochs=total,
                status=run_status(ending, train is not None, paused),
            )
        )
    return rank_runs(rows)
