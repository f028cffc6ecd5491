"""SignalPlot: a 1-D signal's readings against the outputs computed so far, under its row."""

from __future__ import annotations

import numpy as np
from textual.content import Content
from textual.widgets import Static

from ....core.views.stepper_layout import INPUT_MARK, OUTPUT_MARK, signal_plot

LEGEND = f"{INPUT_MARK} input c0   {OUTPUT_MARK} output so far, under its newest reading"


class SignalPlot(Static):
    """A few rows of marks whose columns line up with the cells of the signal's row above."""

    def show(
        self,
        signal: np.ndarray,
        output: np.ndarray,
        *,
        left: int,
        span: int,
        stride: int,
        cell: int,
    ) -> None:
        """Plot signal and output (NaN until computed); `left` padding cells start the row
        above, `span` is how far a window reaches past its first reading, `cell` each cell's
        width."""
        rows = signal_plot(signal, output, offset=span - left, stride=stride, cell=cell)
        indent = " " * (left * (cell + 1))
        self.update(Content("\n".join([LEGEND, *(indent + row for row in rows)])))
