"""TrainStatus: one line saying where a run is: epoch, step, images/s, ETA, device and memory
(the line itself is `core.views.train_status.status_line`)."""

from __future__ import annotations

from textual.widgets import Static

from ....core.training.metrics import MetricsLog
from ....core.views.train_status import status_line

NO_RUN = "no run yet: ctrl+r (or Start) trains with the form"
"""The line before the first run."""


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
        text = status_line(log, paused) or NO_RUN
        if text != self.text:
            self.text = text
            self.update(text, layout=False)  # one line, always: no layout pass needed
