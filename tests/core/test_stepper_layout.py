"""The stepper's fitting rules: channel pages and the 1-D signal plot."""

from __future__ import annotations

import math

import numpy as np

from cnn_tui.core.views.stepper_layout import (
    INPUT_MARK,
    OUTPUT_MARK,
    channels_that_fit,
    page_starts,
    resized,
    signal_plot,
    wrap_sum,
)


def test_channels_fit_beside_the_output_and_a_page_shows_at_least_one():
    assert channels_that_fit([30, 30, 30], 10, 80, 0) == range(0, 2)
    assert channels_that_fit([30, 30, 30], 10, 80, 2) == range(2, 3)
    assert channels_that_fit([90], 10, 80, 0) == range(0, 1)  # too wide, still shown
    assert page_starts([30, 30, 30], 10, 80) == [0, 2]
    assert page_starts([30, 30, 30], 10, 120) == [0]


def test_the_plot_puts_each_output_under_the_newest_reading_of_its_window():
    rows = signal_plot([0.0, 1.0, 2.0], [1.0, math.nan], offset=1, stride=1, cell=4, height=3)
    assert len(rows) == 3
    # input marks one column from the cell's left, outputs at its right edge
    assert rows[2][1] == INPUT_MARK  # 0 is the lowest
    assert rows[0][11] == INPUT_MARK  # 2 is the highest
    assert rows[1][6] == INPUT_MARK and rows[1][8] == OUTPUT_MARK  # output 0 under reading 1
    assert OUTPUT_MARK not in "".join(rows[0] + rows[2])  # output 1 is not computed yet


def test_a_long_sum_wraps_with_its_result_whole_on_the_last_line():
    line = " + ".join(["1x1"] * 20) + " = 19"
    lines = wrap_sum(line, 30)
    assert all(len(text) <= 30 for text in lines)
    assert lines[-1].endswith("1x1 = 19")
    assert all(text.startswith("  ") for text in lines[1:])
    assert wrap_sum("1x1 = 1", 30) == ["1x1 = 1"]
    assert wrap_sum(line, 0) == [line]  # width not known yet


def test_resized_crops_or_pads_the_trailing_axes():
    grown = resized(np.ones((2, 2, 2)), (3, 1))
    assert grown.shape == (2, 3, 1)
    assert grown[:, :, 0].tolist() == [[1, 1, 0], [1, 1, 0]]
