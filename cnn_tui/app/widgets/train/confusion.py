"""TrainConfusion: the confusion matrix on the test set, true classes down, predictions across."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

if TYPE_CHECKING:
    import numpy as np

LABEL_WIDTH = 5
"""Column headings are class names cut to this many letters, so ten classes fit 80 columns."""


def matrix_rows(matrix: np.ndarray, labels: tuple[str, ...]) -> list[list[str]]:
    """The table's cells as text: class name, counts, the class's recall in %."""
    rows = []
    for true, counts in enumerate(matrix):
        total = int(counts.sum())
        recall = f"{counts[true] / total:.0%}" if total else "—"
        rows.append([labels[true], *(str(int(c)) if c else "·" for c in counts), recall])
    return rows


class TrainConfusion(DataTable):
    """Counts of (true class, predicted class) pairs; the diagonal is what it got right."""

    DEFAULT_CSS = """
    TrainConfusion {
        height: 1fr;
        background: $surface;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(cursor_type="none", zebra_stripes=True, id=id, classes=classes)
        self.matrix: np.ndarray | None = None
        """The counts shown: matrix[true, predicted]."""
        self.labels: tuple[str, ...] = ()

    def show(self, matrix: np.ndarray, labels: tuple[str, ...]) -> None:
        self.matrix = matrix
        self.labels = labels
        self.clear(columns=True)
        self.add_column(Text("true \\ guess", style="bold"), key="true")
        for index, label in enumerate(labels):
            self.add_column(Text(label[:LABEL_WIDTH], justify="right"), key=f"p{index}")
        self.add_column(Text("right", justify="right"), key="recall")
        theme = self.app.theme_variables
        right, worst, missed = theme["success"], theme["error"], theme["warning"]
        biggest_miss = max(
            (int(matrix[t, p]) for t in range(len(labels)) for p in range(len(labels)) if t != p),
            default=0,
        )
        for true, cells in enumerate(matrix_rows(matrix, labels)):
            styled = [Text(cells[0], style="bold")]
            for predicted, cell in enumerate(cells[1:-1]):
                count = int(matrix[true, predicted])
                if predicted == true:
                    style = f"bold {right}"
                elif count and count == biggest_miss:
                    style = f"bold {worst}"  # the network's favourite mistake
                elif count:
                    style = missed
                else:
                    style = "dim"
                styled.append(Text(cell, style=style, justify="right"))
            styled.append(Text(cells[-1], justify="right"))
            self.add_row(*styled, key=str(true))
