"""The train screen's sentences: the run's title, how a run ended (and a failed one marked in
its log), and the headings over the views of its network (predictions, confusion matrix,
filters and feature maps)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..plain_text import visible
from ..training.metrics import MetricsLog, Point
from ..training.train_config import TrainConfig
from .train_status import board_rows, clock, ending_of, progress

if TYPE_CHECKING:
    from ..training.model_views import ModelViews  # (NumPy: not loaded for the first paint)

TITLE_MODEL_WIDTH = 44
"""The model's text in the title is cut to this many characters."""


def run_title(config: TrainConfig, name: str = "") -> str:
    """'seed-mnist on digits': the screen's subtitle for a configuration; name: what to call
    the model instead of its text (a stack the builder handed over: 'vgg16, edited')."""
    model = visible(name or config.model)  # as typed: a path or spec may hold control characters
    model = model if len(model) <= TITLE_MODEL_WIDTH else model[: TITLE_MODEL_WIDTH - 1] + "…"
    return f"{model} on {config.dataset}"


def failure_line(error: BaseException | None) -> str:
    """The first line of why training failed; an error with no words (a bare assert deep in a
    library) still gets a line."""
    return str(error).strip().split("\n")[0] or f"training failed: {type(error).__name__}"


def end_unfinished_runs(log: MetricsLog, message: str) -> None:
    """A run that broke after it started ends in the log too: the status line and the board
    say error, not 'starting' or 'training'."""
    for run in log.runs():
        if ending_of(log, run) is None:
            log.append(Point(run=run, kind="error", message=message))


def errors_line(log: MetricsLog) -> str:
    """Every run's error in the log, on one line."""
    return "; ".join(f"{p.run}: {p.message or 'failed'}" for p in log.points(kind="error"))


def outcome_line(log: MetricsLog, settings_shown: bool) -> tuple[str, str]:
    """One line on how the run ended, the test accuracies or why it failed, with its tone
    ('info' or 'error'); settings_shown: whether the form is on screen (else s is named)."""
    rows = board_rows(log)
    errors = [f"{row.run}: {row.status}" for row in rows if row.status.startswith("error")]
    if errors and len(errors) == len(rows):
        return "; ".join(errors), "error"
    now = progress(log)
    if now is not None and now.state == "stopped":
        head = f"stopped at step {now.step:,} of {now.total_steps:,}"
    else:
        head = f"done in {clock(now.elapsed)}" if now is not None else "done"
    scores = ", ".join(
        f"{row.run} {row.test_accuracy:.1%}" for row in rows if row.test_accuracy is not None
    )
    parts = [f"{head}: test accuracy {scores}" if scores else head, *errors]
    hint = "" if settings_shown else ", s the settings"
    parts.append(f"the tabs show the network{hint}")
    return "; ".join(parts), "error" if errors else "info"


def predictions_heading(views: ModelViews) -> str:
    """Over the prediction tiles: how many of them the network got right."""
    right = sum(tile.correct for tile in views.tiles)
    return (
        f"{views.run}: {right} of these {len(views.tiles)} test images right; the top-3"
        " guesses under each (green: right, red: wrong). A click shows its feature maps."
    )


def confusion_heading(views: ModelViews) -> str | None:
    """Over the confusion matrix: the test accuracy it adds up to (None without a matrix)."""
    if views.matrix is None:
        return None
    total = int(views.matrix.sum())
    right = int(views.matrix.trace())
    accuracy = right / total if total else 0.0
    return (
        f"{views.run}: {right:,} of {total:,} test images right ({accuracy:.1%});"
        " rows: true class, columns: the network's guess"
    )


def filters_heading(views: ModelViews) -> str:
    """Over the first conv layer's filters, or why there are none."""
    if not views.filter_shape:
        return f"{views.run}: this stack has no conv layer"
    count, channels, height, width = views.filter_shape
    return (
        f"{views.run}: the first conv layer's {count} filters,"
        f" {channels}x{height}x{width} each (grey 0, bright positive, dark negative)"
    )


def maps_heading(views: ModelViews) -> str:
    """Beside the chosen image: its class and the size of its feature maps, or why none."""
    if not views.map_shape:
        return "(no conv layer: no feature maps)"
    count, height, width = views.map_shape
    return f"(a {views.truth}), then its {count} maps, {height}x{width}"
