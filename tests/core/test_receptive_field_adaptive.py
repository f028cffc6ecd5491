"""Receptive fields through adaptive average pooling: PyTorch's windows, checked by autograd."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnn_tui.cli import main
from cnn_tui.core.convolution.arithmetic import (
    INPUT_FIELD,
    FieldStep,
    adaptive_field_step,
    adaptive_geometry,
    adaptive_windows,
)
from cnn_tui.core.stacks.layers import AdaptiveAvgPool2d, AvgPool2d, Conv2d, ReLU
from cnn_tui.core.stacks.receptive_field import receptive_fields
from cnn_tui.core.stacks.shapes import LayerError
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack import Stack
from cnn_tui.core.stacks.zoo import resolve_stack
from cnn_tui.core.views.report import field_cells, field_note

torch = pytest.importorskip("torch")

AUTOGRAD = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)


def _stack(spec: str, shape: tuple[int, int, int]) -> Stack:
    return Stack(parse_layers(spec), shape)


# --- the examples, exact --------------------------------------------------------------


def test_vgg16_pools_its_7x7_map_to_7x7_an_identity() -> None:
    rows = receptive_fields(resolve_stack("vgg16"))
    # (the pool's label shows its stride: another change of this issue)
    assert rows[30].label.startswith("maxpool(2") and rows[31].label == "adaptiveavgpool(7)"
    assert rows[31].field == rows[30].field == FieldStep(212, 32, 16.0)
    assert field_cells(rows[31])["field"] == "212x212"
    assert rows[32].label == "flatten" and rows[32].field is None
    assert field_note(rows) == ""


def test_a_conv_then_adaptive_pool_to_4_sees_4_pixels() -> None:
    # 6 cells pooled to 4: windows [0,2) [1,3) [3,5) [4,6), all 2 wide, starting 1 or 2 apart
    assert adaptive_windows(6, 4) == ((0, 2), (1, 3), (3, 5), (4, 6))
    rows = receptive_fields(_stack("conv(8,3) adaptiveavgpool(4)", (1, 8, 8)))
    assert rows[1].field == FieldStep(4, 2, 2.0, exact=True, even=False)
    assert field_cells(rows[1]) == {
        "#": "2",
        "layer": "adaptiveavgpool(4)",
        "output": "8x4x4",
        "field": "4x4",
        "jump": "≤2",
        "start": "2",
    }
    # every output cell's gradient reaches exactly 4 input rows (and columns)
    stack = _stack("conv(8,3) adaptiveavgpool(4)", (1, 8, 8))
    assert _extents(stack, 0) == [(0, 3), (1, 4), (3, 6), (4, 7)]
    assert _extents(stack, 1) == [(0, 3), (1, 4), (3, 6), (4, 7)]


def test_unequal_windows_report_the_widest_and_say_so() -> None:
    # vgg16 on 288x288 pools 9x9 to 7x7: windows 2 or 3 wide, starting 1 or 2 apart
    rows = receptive_fields(resolve_stack("vgg16", (3, 288, 288)))
    assert rows[31].field == FieldStep(212 + 2 * 32, 64, 16.0 + 0.5 * 32, exact=False, even=False)
    assert (field_cells(rows[31])["field"], field_cells(rows[31])["jump"]) == ("≤276x276", "≤64")
    assert field_note(rows) == (
        "≤: layer 32 adaptiveavgpool(7) pools windows of unequal width or spacing (PyTorch's"
        " [floor(i*L/N), ceil((i+1)*L/N))): a figure marked ≤ is the largest any cell has,"
        " exact on that layer's row and an upper bound after it"
    )


def test_global_pooling_still_mixes_the_whole_input() -> None:
    rows = receptive_fields(resolve_stack("resnet18"))
    assert rows[-3].label == "adaptiveavgpool" and rows[-3].field is None
    assert field_cells(rows[-3])["field"] == "whole input"
    # on a 32x32 input the last map is already 1x1: pooling it to 1x1 changes nothing
    small = receptive_fields(resolve_stack("resnet18", (3, 32, 32)))
    assert small[-3].field == small[-4].field == FieldStep(435, 32, 0.5)


def test_a_map_that_is_not_square_pools_each_axis_on_its_own() -> None:
    # 8 rows to 4: windows of 2 every 2; 6 columns to 4: windows of 2, 1 or 2 apart
    rows = receptive_fields(_stack("adaptiveavgpool(4)", (1, 8, 6)))
    assert rows[0].field == FieldStep(2, 2, 1.0)
    assert rows[0].across == FieldStep(2, 2, 1.0, exact=True, even=False)
    assert field_cells(rows[0])["jump"] == "≤2"


def test_calc_receptive_field_json_and_text(capsys) -> None:
    args = ["calc", "receptive-field", "conv(8,3) adaptiveavgpool(4)", "--input", "1x8x8"]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[1] == {
        "number": "2",
        "name": "adaptiveavgpool(4)",
        "output_shape": [8, 4, 4],
        "size": 4,
        "jump": 2,
        "start": 2.0,
        "exact": True,
        "even": False,
    }
    assert main(args) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "│2 │ adaptiveavgpool(4) │ 8x4x4 │ 4x4 │ ≤2 │ 2│" in out
    assert "≤: layer 2 adaptiveavgpool(4) pools windows of unequal width or spacing" in out


# --- the windows: closed form, listing and torch agree --------------------------------------


def test_adaptive_geometry_matches_the_listed_windows() -> None:
    for size in range(1, 60):
        for output in range(2, 60):
            windows = adaptive_windows(size, output)
            widths = {end - start for start, end in windows}
            spacings = {b[0] - a[0] for a, b in pairwise(windows)}
            pool = adaptive_geometry(size, output)
            assert (pool.kernel, pool.stride) == (max(widths), max(spacings))
            assert (pool.same_width, pool.same_spacing) == (len(widths) == 1, len(spacings) == 1)


@pytest.mark.parametrize(("size", "output"), [(6, 4), (9, 7), (7, 6), (5, 3), (3, 5), (10, 4)])
def test_adaptive_windows_are_torchs(size, output) -> None:
    pool = torch.nn.AdaptiveAvgPool1d(output)
    x = torch.ones(1, 1, size, requires_grad=True)
    y = pool(x)
    seen = []
    for i in range(output):
        (grad,) = torch.autograd.grad(y[0, 0, i], x, retain_graph=True)
        used = torch.nonzero(grad[0, 0]).flatten().tolist()
        seen.append((used[0], used[-1] + 1))
    assert tuple(seen) == adaptive_windows(size, output)


def test_identity_and_global_pooling_steps() -> None:
    field = FieldStep(7, 2, 3.5)
    assert adaptive_field_step(field, 5, 5) is field
    assert adaptive_field_step(field, 5, 1) is None
    # 4 to 2: an ordinary 2x2 pool at stride 2
    assert adaptive_field_step(INPUT_FIELD, 4, 2) == FieldStep(2, 2, 1.0)


# --- autograd on random stacks ----------------------------------------------------------------


def _extents(stack: Stack, axis: int) -> list[tuple[int, int] | None]:
    """Per output row (axis 0) or column (axis 1) of the last map: the first and last input
    row or column with a gradient (None when the row sees only padding). Every weight is 1 and
    every bias 1, so every activation is positive (ReLU passes it on) and no sum can cancel."""
    from cnn_tui.core.stacks.torch_bridge import build_module

    module = build_module(stack).double()
    with torch.no_grad():
        for part in module.modules():
            if isinstance(part, torch.nn.Conv2d):
                part.weight.fill_(1.0)
                if part.bias is not None:
                    part.bias.fill_(1.0)
    x = torch.ones(1, *stack.input_shape, dtype=torch.float64, requires_grad=True)
    y = module(x)
    others = (0, 2) if axis == 0 else (0, 1)
    extents = []
    for i in range(y.shape[2 + axis]):
        (grad,) = torch.autograd.grad(y.select(2 + axis, i).sum(), x, retain_graph=True)
        used = torch.nonzero(grad[0].abs().sum(dim=others)).flatten().tolist()
        extents.append((used[0], used[-1]) if used else None)
    return extents


@st.composite
def _random_stacks(draw, padded: bool) -> Stack:
    """1-4 layers of conv, average pool, adaptive pool (to 2 or more) and ReLU on a small
    map; without padding (and ceil mode) every window lies inside the map."""
    shape = (1, draw(st.integers(3, 16)), draw(st.integers(3, 16)))
    layers = []
    out = shape
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["conv", "avgpool", "adaptive", "adaptive", "relu"]))
        if kind == "conv":
            layer = Conv2d(
                2,
                draw(st.integers(1, 3)),
                stride=draw(st.integers(1, 2)),
                padding=draw(st.integers(0, 2)) if padded else 0,
                dilation=draw(st.integers(1, 2)),
            )
        elif kind == "avgpool":
            kernel = draw(st.integers(1, 3))
            layer = AvgPool2d(
                kernel,
                stride=draw(st.integers(1, 3)),
                padding=draw(st.integers(0, kernel // 2)) if padded else 0,
                ceil_mode=draw(st.booleans()) if padded else False,
            )
        elif kind == "adaptive":
            layer = AdaptiveAvgPool2d(draw(st.integers(2, max(out[1], out[2]) + 1)))
        else:
            layer = ReLU()
        try:
            out = layer.output_shape(out)
        except LayerError:
            assume(False)
        layers.append(layer)
    return Stack(tuple(layers), shape)


def _axis_field(stack: Stack, axis: int) -> tuple[FieldStep, list[FieldStep | None]]:
    rows = receptive_fields(stack)
    fields = [row.across if axis and row.across is not None else row.field for row in rows]
    last = fields[-1]
    assert last is not None  # adaptive pools here go to 2 cells or more
    return last, fields


def _interval(field: FieldStep, cell: int) -> tuple[float, float]:
    """The input rows (or columns) a cell's field spans, padding included."""
    centre = field.start + cell * field.jump
    return (centre - field.size / 2, centre + field.size / 2 - 1)


@AUTOGRAD
@given(stack=_random_stacks(padded=False))
def test_without_padding_every_cells_field_is_what_autograd_reaches(stack) -> None:
    for axis in (0, 1):
        field, fields = _axis_field(stack, axis)
        extents = _extents(stack, axis)
        widths = [last - first + 1 for first, last in extents]
        spacings = [b[0] - a[0] for a, b in pairwise(extents)]
        if field.exact:
            assert set(widths) == {field.size}
        assert max(widths) <= field.size
        if field.even:
            assert extents == [_interval(field, cell) for cell in range(len(extents))]
        elif spacings:
            assert max(spacings) <= field.jump
        # on the row of the first adaptive pool with unequal windows the figures are attained
        spatial = [i for i, layer in enumerate(stack.layers) if not isinstance(layer, ReLU)]
        if not spatial or not isinstance(stack.layers[spatial[-1]], AdaptiveAvgPool2d):
            continue
        before = fields[spatial[-1] - 1] if spatial[-1] else INPUT_FIELD
        if before.exact and before.even:
            assert max(widths) == field.size
            # start: the centre of the first cell's field, whatever its width
            assert (extents[0][0] + extents[0][1] + 1) / 2 == field.start
            if spacings:
                assert max(spacings) == field.jump


@AUTOGRAD
@given(stack=_random_stacks(padded=True))
def test_with_padding_autograd_stays_inside_the_field(stack) -> None:
    extents = [_extents(stack, axis) for axis in (0, 1)]
    if all(seen is None for seen in extents[0]):
        # every output row reads only padding (say a stride-2 conv padded 1 on a 1-row map), so
        # no cell sees the input and autograd has nothing to say about the columns either
        return
    for axis in (0, 1):
        field, _ = _axis_field(stack, axis)
        size = stack.input_shape[1 + axis]
        for cell, seen in enumerate(extents[axis]):
            low, high = _interval(field, cell)
            inside = field.exact and field.even and low >= 0 and high <= size - 1
            if seen is None:
                # only padding under this cell: its field cannot lie inside the input
                assert not inside
                continue
            first, last = seen
            assert last - first + 1 <= field.size
            if not field.even:
                continue
            if inside:
                # a field inside the input reaches no padding: autograd sees all of it
                assert (first, last) == (low, high)
            else:
                # padding crops the field
                assert low <= first and last <= high
