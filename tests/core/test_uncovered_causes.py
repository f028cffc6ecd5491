"""Why an input cell is never used by a conv or pool: exact messages, torch and brute force."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnn_tui.cli import main
from cnn_tui.core.convolution.arithmetic import (
    UNCOVERED_CAUSES,
    ArithmeticError_,
    effective_kernel,
    pool_size_report,
    resolve_padding,
    size_report,
)
from cnn_tui.core.convolution.conv_trace import conv1d_trace

# --- the two cases and a few more, exact -------------------------------------------


def test_dilation_gaps_at_both_ends_are_not_blamed_on_the_stride() -> None:
    # windows start at -1, 1, ..., 13 with taps every 3 cells: the first window's taps are
    # -1, 2, 5 (index 0 is a gap) and the last one's 13, 16, 19 (index 18 is a gap); the
    # windows whose taps would fill them (starting at -3 or at 15) do not fit the padded input
    report = size_report(20, 3, stride=2, padding=1, dilation=3)
    assert report.uncovered == (0, 18)
    assert report.causes == ("dilation-gap-start", "dilation-gap-end")
    assert report.explanation == (
        "input indices 0, 18 are never used: index 0 falls in a gap of the dilated kernel"
        " (dilation 3) and would need a window starting before the padding; index 18 falls in a"
        " gap of the dilated kernel and would need a window running past the end of the padding"
    )


def test_pool_with_a_stride_longer_than_its_window() -> None:
    report = pool_size_report(9, 2, stride=3)
    assert report.uncovered == (2, 5, 8)
    assert report.causes == ("between-windows", "between-windows", "past-last-window")
    assert report.explanation == (
        "input indices 2, 5, 8 are never used: indices 2, 5 lie between windows, as the stride 3"
        " is longer than the window 2; index 8 lies past the last window (ending at 7), as"
        " (9 - 2) is not a multiple of the stride 3"
    )


def test_past_the_last_window_counts_the_padding() -> None:
    # windows -1..3, 3..7, 7..11 over 14 cells padded by 1: the next window would need 15
    report = size_report(14, 5, stride=4, padding=1)
    assert report.uncovered == (12, 13)
    assert report.explanation == (
        "input indices 12, 13 are never used: they lie past the last window (ending at 11), as"
        " (14 + 2 - 5) is not a multiple of the stride 4"
    )
    # one cell more and a fourth window fits, its last cell in the right padding
    assert size_report(15, 5, stride=4, padding=1).uncovered == ()


def test_a_last_window_inside_the_padding() -> None:
    report = size_report(2, 1, stride=5, padding=1)
    assert report.uncovered == (0, 1)
    assert report.explanation == (
        "input indices 0, 1 are never used: they lie past the last window (ending in the"
        " padding), as (2 + 2 - 1) is not a multiple of the stride 5"
    )


def test_a_dilation_gap_no_window_ever_fills() -> None:
    # taps 0 and 2 of every window, windows every 2 cells: odd cells are never a tap
    report = size_report(9, 2, stride=2, dilation=2)
    assert report.uncovered == (1, 3, 5, 7)
    assert report.causes == ("dilation-gap",) * 4
    assert report.explanation == (
        "input indices 1, 3, 5, 7 are never used: they fall in gaps of the dilated kernel"
        " (dilation 2) that no window fills at stride 2"
    )
    mixed = size_report(10, 2, stride=4, dilation=2)
    assert mixed.uncovered == (1, 3, 5, 7, 8, 9)
    assert mixed.explanation == (
        "input indices 1, 3, 5, 7, 8, 9 are never used: indices 1, 5 fall in gaps of the dilated"
        " kernel (dilation 2) that no window fills at stride 4; index 3 lies between two windows,"
        " as the stride 4 is longer than the dilated window 3; indices 7, 8, 9 lie past the last"
        " window (ending at 6), as (10 - 3) is not a multiple of the stride 4"
    )


def test_a_gap_whose_filling_windows_lie_beyond_both_ends() -> None:
    report = size_report(5, 2, padding="same", dilation=10**9)
    assert report.uncovered == (0, 1, 2, 3, 4)
    assert set(report.causes) == {"dilation-gap-both"}
    assert report.explanation.endswith(
        "they fall in gaps of the dilated kernel (dilation 1000000000) and would need windows"
        " starting before the padding or running past the end of the padding"
    )


def test_ceil_mode_names_the_dropped_window() -> None:
    # windows at 0 and 3; ceil mode's third window would start at 6, past the 5 cells
    report = pool_size_report(5, 1, stride=3, ceil_mode=True)
    assert (report.output, report.dropped, report.uncovered) == (2, True, (1, 2, 4))
    assert report.explanation == (
        "input indices 1, 2, 4 are never used: indices 1, 2 lie between windows, as the stride 3"
        " is longer than the window 1; index 4 lies past the last window (ending at 3), as ceil"
        " mode drops the window that would start past the input"
    )


def test_no_uncovered_cells_no_explanation() -> None:
    report = size_report(21, 3, stride=2, padding=2, dilation=3)
    assert (report.uncovered, report.causes, report.explanation) == ((), (), "")


# --- the JSON of calc and step carries the causes ------------------------------------------


def test_calc_json_carries_a_cause_per_cell(capsys) -> None:
    args = ["calc", "conv", "--size", "20", "--kernel", "3", "--stride", "2"]
    assert main([*args, "--padding", "1", "--dilation", "3", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["uncovered"] == [0, 18]
    assert data["uncovered_causes"] == ["dilation-gap-start", "dilation-gap-end"]
    assert main(["calc", "pool", "--size", "9", "--kernel", "2", "--stride", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["uncovered_causes"] == ["between-windows", "between-windows", "past-last-window"]


def test_calc_pool_text_names_both_causes(capsys) -> None:
    assert main(["calc", "pool", "--size", "9", "--kernel", "2", "--stride", "3"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "input indices 2, 5, 8 are never used: indices 2, 5 lie between windows, as the stride 3"
        " is longer than the window 2; index 8 lies past the last window (ending at 7)" in out
    )


def test_step_trace_json_carries_the_causes() -> None:
    trace = conv1d_trace([1.0] * 9, [1.0, 1.0], stride=3)
    data = trace.to_dict()
    assert data["uncovered"] == [[2, 5, 8]]
    assert data["uncovered_causes"] == [["between-windows", "between-windows", "past-last-window"]]


# --- torch agrees on which cells are never used --------------------------------------------


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "dilation"),
    [(20, 3, 2, 1, 3), (9, 2, 3, 0, 1), (10, 2, 4, 0, 2), (11, 5, 3, 1, 1), (7, 3, 2, 0, 3)],
)
def test_uncovered_cells_get_no_gradient_in_torch(size, kernel, stride, padding, dilation):
    torch = pytest.importorskip("torch")
    x = torch.ones(1, 1, size, requires_grad=True)
    w = torch.ones(1, 1, kernel)
    torch.nn.functional.conv1d(
        x, w, stride=stride, padding=padding, dilation=dilation
    ).sum().backward()
    unused = tuple(int(i) for i in torch.nonzero(x.grad[0, 0] == 0).flatten())
    assert size_report(size, kernel, stride, padding, dilation).uncovered == unused


# --- brute force: every window, every tap ----------------------------------------------------


def _brute_cause(cell, size, kernel, stride, before, dilation, out) -> str:
    """The cause from the definitions, walking the windows one by one."""
    span = effective_kernel(kernel, dilation)
    starts = [o * stride - before for o in range(out)]
    assert cell not in {s + t * dilation for s in starts for t in range(kernel)}
    if any(s <= cell <= s + span - 1 for s in starts):
        # every window whose taps would include the cell, in the infinite row of windows
        would = [
            (cell + before - t * dilation) // stride
            for t in range(kernel)
            if (cell + before - t * dilation) % stride == 0
        ]
        assert not any(0 <= o < out for o in would)
        if not would:
            return "dilation-gap"
        early, late = any(o < 0 for o in would), any(o >= out for o in would)
        return {(True, False): "dilation-gap-start", (False, True): "dilation-gap-end"}.get(
            (early, late), "dilation-gap-both"
        )
    if cell > starts[-1] + span - 1:
        return "past-last-window"
    # a span ends before it and the next one starts after it
    assert any(s + span - 1 < cell for s in starts) and any(s > cell for s in starts)
    assert stride > span
    return "between-windows"


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(1, 30),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 6),
    padding=st.one_of(st.integers(0, 4), st.sampled_from(["same", "full", "valid"])),
    dilation=st.integers(1, 4),
    ceil_mode=st.booleans(),
)
def test_uncovered_and_causes_match_brute_force(
    size, kernel, stride, padding, dilation, ceil_mode
) -> None:
    try:
        report = size_report(size, kernel, stride, padding, dilation, ceil_mode)
    except ArithmeticError_:
        assume(False)
        return
    before, _ = resolve_padding(kernel, padding, dilation, stride)
    out = report.output
    taps = {o * stride - before + t * dilation for o in range(out) for t in range(kernel)}
    assert report.uncovered == tuple(i for i in range(size) if i not in taps)
    expected = tuple(
        _brute_cause(i, size, kernel, stride, before, dilation, out) for i in report.uncovered
    )
    assert report.causes == expected
    assert set(report.causes) <= set(UNCOVERED_CAUSES)
    # the message names every cell once in its head, and each group's text follows
    if report.uncovered:
        assert report.explanation.startswith("input ind")
        if "past-last-window" in report.causes and not ceil_mode:
            assert "is not a multiple of the stride" in report.explanation
        if "between-windows" in report.causes:
            assert f"the stride {stride} is longer than the" in report.explanation
    else:
        assert report.explanation == ""
