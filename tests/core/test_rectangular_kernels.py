"""Rectangular kernels (conv(64,1x7), maxpool(3x1), s=2x1, p=0x3, d=1x2) through the spec
syntax, the tally, stack files and the torch bridge, checked against torch; and the hint for
conv(64,1,7), which once silently meant kernel 1, stride 7."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnn_tui.core.stacks.blocks import format_layers
from cnn_tui.core.stacks.layer_settings import coerce, layer_from_dict
from cnn_tui.core.stacks.layers import AvgPool2d, Conv2d, Layer, MaxPool2d
from cnn_tui.core.stacks.receptive_field import receptive_fields
from cnn_tui.core.stacks.shapes import StackError
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack import Stack
from cnn_tui.core.stacks.stack_file import dumps_stack, loads_stack
from cnn_tui.core.stacks.tally import saved_for_backward, tally
from cnn_tui.core.views.report import field_cells

torch = pytest.importorskip("torch")

# torch's own note that an even 'same'-padded kernel costs a padded copy: true, and not ours
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")

from cnn_tui.core.stacks.torch_bridge import build_module, count_parameters, export_source  # noqa: E402

RECTANGULAR = (
    "conv(8,1x7,s=2x1,p=0x3,d=1x2) relu conv(8,2x4,p=full) maxpool(3x1,s=1x2,p=1x0) "
    "avgpool(2x3,p=1,ceil_mode=true) conv(4,2x1,p=same) bn relu "
    "res[conv(4,1x3,p=0x1) | conv(4,1)] cat[conv(2,3x1,p=1x0) | maxpool(1x1)] flatten fc(3)"
)
RECTANGULAR_INPUT = (3, 20, 21)


# ---------------------------------------------------------------------------------------------
# the spec syntax


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("conv(64,1x7)", "conv(64,1x7)"),
        ("conv(64,k=1X7,s=2x1,p=0x3,d=1x2)", "conv(64,1x7,s=2x1,p=0x3,d=1x2)"),
        ("conv(64,1×7)", "conv(64,1x7)"),
        ("maxpool(3x1) avgpool(2x3,s=1x2,p=1x0)", "maxpool(3x1) avgpool(2x3,s=1x2,p=1x0)"),
        ("conv(8,3x3,s=2x2,p=1x1,d=1x1)", "conv(8,3,s=2,p=1)"),  # a square pair is the number
        ("maxpool(2x2,s=2)", "maxpool(2,s=2)"),
        ("conv(8,1x7,p=same)", "conv(8,1x7,p=same)"),
        ("res[conv(4,1x3,p=0x1) | conv(4,1)]", "res[conv(4,1x3,p=0x1) | conv(4,1)]"),
    ],
)
def test_pairs_parse_label_and_round_trip(typed: str, canonical: str) -> None:
    layers = parse_layers(typed)
    assert format_layers(layers) == canonical
    assert parse_layers(format_layers(layers)) == layers


def test_pairs_are_height_then_width_and_square_pairs_are_plain_numbers() -> None:
    (conv,) = parse_layers("conv(64,1x7,s=2x1,p=0x3,d=1x2)")
    assert conv == Conv2d(64, (1, 7), stride=(2, 1), padding=(0, 3), dilation=(1, 2))
    assert Conv2d(8, (3, 3), stride=[2, 2]) == Conv2d(8, 3, stride=2)
    assert Conv2d(8, [1, 7]).kernel == (1, 7)  # a list (from JSON) is kept as a tuple
    assert MaxPool2d((3, 1)).step == (3, 1)
    assert coerce("kernel", "1x7") == (1, 7)
    assert coerce("padding", [0, 3]) == (0, 3)
    assert coerce("stride", "2x2") == 2


@pytest.mark.parametrize(
    ("spec", "column", "message"),
    [
        (
            "conv(64,1,7)",
            11,
            "conv takes (filters, kernel); write the stride as s=7, or a 1x7 kernel as 1x7",
        ),
        (
            "maxpool(3,1)",
            11,
            "maxpool takes (kernel); write the stride as s=1, or a 3x1 window as 3x1",
        ),
        (
            "conv(8,3,2,1)",
            10,
            "conv takes (filters, kernel); write the stride as s=2 and the padding as p=1",
        ),
        ("conv(8,3,same)", 10, "conv takes (filters, kernel); write the padding as p=same"),
        ("avgpool(3,2x1)", 11, "avgpool takes (kernel); write the stride as s=2x1"),
        (
            "conv(8,3x3x3)",
            8,
            "conv kernel: expected a whole number or a pair like 1x7, got '3x3x3'",
        ),
        ("conv(8,0x3)", 8, "conv kernel: must be at least 1, got 0"),
        ("conv(8,3,p=1x-1)", 12, "conv padding: must be at least 0, got -1"),
        ("fc(1x7)", 4, "fc out_features: expected a whole number, got '1x7'"),
        ("relu*2x2", 6, "expected a repeat count like *3 after '*'"),
    ],
)
def test_misplaced_and_bad_pairs_are_refused_with_a_hint(spec: str, column: int, message) -> None:
    with pytest.raises(StackError) as info:
        parse_layers(spec)
    assert (info.value.column, info.value.reason) == (column, message)


# ---------------------------------------------------------------------------------------------
# the tally: shapes, parameters and MACs


@pytest.mark.parametrize(
    ("spec", "output", "params", "macs"),
    [
        # 1x7 over 16x16: 16 rows, 16 - 7 + 1 = 10 columns; 3*1*7 weights per filter
        ("conv(64,1x7)", (64, 16, 10), 3 * 7 * 64 + 64, 64 * 16 * 10 * 3 * 7),
        ("conv(64,7x1,bias=false)", (64, 10, 16), 3 * 7 * 64, 64 * 10 * 16 * 3 * 7),
        # rows: (16 - 1)//2 + 1 = 8; columns: span 2*(7-1)+1 = 13, 16 + 6 - 13 + 1 = 10
        ("conv(64,1x7,s=2x1,p=0x3,d=1x2)", (64, 8, 10), 3 * 7 * 64 + 64, 64 * 8 * 10 * 3 * 7),
        ("conv(6,3x5,p=same,g=3)", (6, 16, 16), 1 * 15 * 6 + 6, 6 * 16 * 16 * 1 * 15),
        ("maxpool(3x1)", (3, 5, 16), 0, 0),
        ("avgpool(2x4,s=1x2,p=1x2)", (3, 17, 9), 0, 0),
    ],
)
def test_tally_of_rectangular_layers(spec: str, output, params: int, macs: int) -> None:
    result = tally(parse_layers(spec), (3, 16, 16))
    assert result.error is None
    assert (result.output_shape, result.totals.params, result.totals.macs) == (output, params, macs)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("conv(8,1x20)", "input is 16x16, smaller than the 1x20 kernel"),
        ("conv(8,1x9,d=1x2)", "input is 16x16, smaller than the 1x17 dilated kernel"),
        ("conv(8,21x1,p=2x0)", "input is 16x16 (padded 20x16), smaller than the 21x1 kernel"),
        ("conv(8,1x7,s=2x1,p=same)", "padding 'same' needs stride 1 (as in PyTorch)"),
        ("maxpool(2x4,p=0x3)", "padding 0x3 is more than half the 2x4 window"),
        (
            "maxpool(2,p=same)",
            "pooling has no 'same' padding: give a number of cells, at most half the window",
        ),
    ],
)
def test_a_rectangular_layer_that_does_not_fit_says_why(spec: str, message: str) -> None:
    error = tally(parse_layers(spec), (3, 16, 16)).error
    assert error is not None
    assert error.reason == message


def test_an_even_side_of_a_same_padded_kernel_saves_the_padded_copy() -> None:
    # 'same' pads 2x3 as rows (0, 1) and columns (1, 1): torch pads one extra row first
    (conv,) = parse_layers("conv(8,2x3,p=same)")
    assert saved_for_backward(conv, (3, 10, 12), (8, 10, 12)).numbers == 3 * 11 * 12
    (odd,) = parse_layers("conv(8,3x5,p=same)")
    assert saved_for_backward(odd, (3, 10, 12), (8, 10, 12)).needs_input


# ---------------------------------------------------------------------------------------------
# against torch


def _torch_module(layer: Layer, channels: int):
    """The torch module for a layer, written here from its settings (not by torch_bridge)."""

    def pair(value):
        return tuple(value) if isinstance(value, tuple) else (value, value)

    if isinstance(layer, Conv2d):
        padding = layer.padding
        if padding == "full":
            padding = tuple(
                d * (k - 1) for d, k in zip(pair(layer.dilation), pair(layer.kernel), strict=True)
            )
        return torch.nn.Conv2d(
            channels,
            layer.out_channels,
            pair(layer.kernel),
            stride=pair(layer.stride),
            padding=padding if isinstance(padding, str) else pair(padding),
            dilation=pair(layer.dilation),
        )
    pool = torch.nn.MaxPool2d if isinstance(layer, MaxPool2d) else torch.nn.AvgPool2d
    stride = None if layer.stride is None else pair(layer.stride)
    return pool(pair(layer.kernel), stride, pair(layer.padding), ceil_mode=layer.ceil_mode)


def _side(most: int) -> st.SearchStrategy:
    """A number or an (h, w) pair from 1 (or 0) to most."""
    return st.one_of(st.integers(1, most), st.tuples(st.integers(1, most), st.integers(1, most)))


_CONVS = st.builds(
    Conv2d,
    out_channels=st.integers(1, 4),
    kernel=_side(4),
    stride=_side(3),
    padding=st.one_of(
        st.sampled_from(["same", "valid", "full"]),
        st.integers(0, 2),
        st.tuples(st.integers(0, 2), st.integers(0, 2)),
    ),
    dilation=_side(2),
)
_POOLS = st.one_of(
    *(
        st.builds(
            cls,
            kernel=_side(4),
            stride=st.one_of(st.none(), _side(3)),
            padding=st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2))),
            ceil_mode=st.booleans(),
        )
        for cls in (MaxPool2d, AvgPool2d)
    )
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    layer=st.one_of(_CONVS, _POOLS),
    channels=st.integers(1, 3),
    height=st.integers(1, 12),
    width=st.integers(1, 12),
)
def test_random_rectangular_layers_agree_with_torch(layer, channels, height, width) -> None:
    """Shapes, parameters and MACs of the engine equal torch's, and a layer the engine refuses
    torch refuses too."""
    shape = (channels, height, width)
    result = tally((layer,), shape)
    try:
        module = _torch_module(layer, channels)
        out = module(torch.zeros(1, *shape))
    except (RuntimeError, ValueError):
        assert result.error is not None, f"torch refused {layer.label()} on {shape}"
        return
    assert result.error is None, f"{layer.label()} on {shape}: {result.error.reason}"
    assert result.output_shape == tuple(out.shape[1:])
    assert result.totals.params == count_parameters(module)
    if isinstance(layer, Conv2d):
        # each output number is a dot product over one filter's weights
        assert result.totals.macs == out[0].numel() * module.weight[0].numel()
        assert count_parameters(build_module((layer,), shape)) == count_parameters(module)
    assert tuple(build_module((layer,), shape)(torch.zeros(1, *shape)).shape[1:]) == out.shape[1:]


def test_a_rectangular_stack_builds_with_the_engines_shapes_and_counts() -> None:
    layers = parse_layers(RECTANGULAR)
    module = build_module(layers, RECTANGULAR_INPUT)
    result = tally(layers, RECTANGULAR_INPUT)
    assert result.error is None
    x = torch.zeros(2, *RECTANGULAR_INPUT)
    for row, child in zip(result.top_rows, module, strict=True):
        x = child(x)
        assert tuple(x.shape[1:]) == row.output_shape, row.label
    assert count_parameters(module) == result.totals.params
    assert str(module[0]) == (
        "Conv2d(3, 8, kernel_size=(1, 7), stride=(2, 1), padding=(0, 3), dilation=(1, 2))"
    )
    assert str(module[2]) == "Conv2d(8, 8, kernel_size=(2, 4), stride=(1, 1), padding=(1, 3))"


def test_export_of_a_rectangular_stack_runs_and_builds_the_same_module() -> None:
    source = export_source(RECTANGULAR, RECTANGULAR_INPUT)
    assert (
        "self.conv1 = nn.Conv2d(3, 8, (1, 7), stride=(2, 1), padding=(0, 3), dilation=(1, 2))"
        in (source)
    )
    assert "self.pool1 = nn.MaxPool2d((3, 1), stride=(1, 2), padding=(1, 0))" in source
    namespace: dict = {"__name__": "exported"}
    exec(compile(source, "exported.py", "exec"), namespace)
    net = namespace["Net"]()
    built = build_module(RECTANGULAR, RECTANGULAR_INPUT)
    assert [p.shape for p in net.parameters()] == [p.shape for p in built.parameters()]
    result = tally(parse_layers(RECTANGULAR), RECTANGULAR_INPUT)
    assert tuple(net(torch.zeros(2, *RECTANGULAR_INPUT)).shape) == (2, *result.output_shape)


# ---------------------------------------------------------------------------------------------
# stack files


def test_a_square_stack_is_written_as_version_1_exactly_as_before() -> None:
    stack = Stack(parse_layers("conv(8,3x3,p=1x1) maxpool(2x2)"), (1, 8, 8), "square")
    assert dumps_stack(stack) == (
        "{\n"
        '  "format": "cnn-tui-stack",\n'
        '  "version": 1,\n'
        '  "name": "square",\n'
        '  "input": "1x8x8",\n'
        '  "layers": [\n'
        '    {"type": "conv", "out_channels": 8, "kernel": 3, "padding": 1},\n'
        '    {"type": "maxpool", "kernel": 2}\n'
        "  ]\n"
        "}\n"
    )


def test_a_pair_is_stored_as_a_list_in_a_version_2_file() -> None:
    stack = Stack(parse_layers("conv(8,1x7,s=2x1,p=0x3,d=1x2) maxpool(3x1)"), (1, 8, 16), "r")
    text = dumps_stack(stack)
    data = json.loads(text)
    assert data["version"] == 2
    assert data["layers"] == [
        {
            "type": "conv",
            "out_channels": 8,
            "kernel": [1, 7],
            "stride": [2, 1],
            "padding": [0, 3],
            "dilation": [1, 2],
        },
        {"type": "maxpool", "kernel": [3, 1]},
    ]
    assert loads_stack(text) == stack


@pytest.mark.parametrize(
    "spec",
    ["res[conv(8,1x3,p=0x1)]", "cat[relu | conv(2,3x1,p=1x0)]", "res[relu | res[conv(8,3x1)]]"],
)
def test_a_pair_inside_a_block_also_makes_version_2(spec: str) -> None:
    stack = Stack(parse_layers(spec), (8, 8, 8), "block")
    text = dumps_stack(stack)
    assert json.loads(text)["version"] == 2
    assert loads_stack(text) == stack


def test_a_file_written_before_pairs_loads_unchanged() -> None:
    old = (
        '{\n  "format": "cnn-tui-stack",\n  "version": 1,\n  "name": "seed-mnist",\n'
        '  "input": "1x28x28",\n  "layers": [\n'
        '    {"type": "conv", "out_channels": 20, "kernel": 5},\n'
        '    {"type": "relu"},\n'
        '    {"type": "maxpool", "kernel": 2, "stride": 2, "padding": 0}\n  ]\n}\n'
    )
    stack = loads_stack(old)
    assert stack.layers == (Conv2d(20, 5), parse_layers("relu")[0], MaxPool2d(2, stride=2))
    assert dumps_stack(stack).startswith('{\n  "format": "cnn-tui-stack",\n  "version": 1,')


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, 2, 3], "expected a whole number or an [h, w] pair, got [1, 2, 3]"),
        ([1, "x"], "expected a whole number, got 'x'"),
        ([True, 3], "expected a whole number, got True"),
        ([0, 3], "must be at least 1, got 0"),
        ("1x7", None),
    ],
)
def test_a_bad_pair_in_a_file_names_the_field(value, message) -> None:
    data = {"type": "conv", "out_channels": 8, "kernel": value}
    if message is None:  # a hand-written '1x7' string is read as the pair it says
        assert layer_from_dict(data).kernel == (1, 7)
        return
    with pytest.raises(StackError) as info:
        layer_from_dict(data, "layer 1")
    assert str(info.value) == f"layer 1 (conv) kernel: {message}"


def test_version_3_is_refused() -> None:
    text = dumps_stack(Stack(parse_layers("conv(8,1x7)"), (1, 8, 8), "r")).replace(
        '"version": 2', '"version": 3'
    )
    with pytest.raises(StackError) as info:
        loads_stack(text, "net.json")
    assert str(info.value) == "net.json: version 3 is not supported"


# ---------------------------------------------------------------------------------------------
# receptive fields, per axis


def test_a_1x7_then_a_3x1_kernel_sees_3_rows_and_7_columns() -> None:
    stack = Stack(
        parse_layers("conv(8,1x7) conv(8,3x1) conv(8,3,s=2x1,p=1x0) flatten"), (1, 15, 15)
    )
    cells = [field_cells(row) for row in receptive_fields(stack)]
    assert [(c["field"], c["jump"], c["start"]) for c in cells] == [
        ("1x7", "1", "0.5, 3.5"),
        ("3x7", "1", "1.5, 3.5"),
        ("5x9", "2x1", "1.5, 4.5"),
        ("whole input", "", ""),
    ]
    data = receptive_fields(stack)[1].to_dict()
    assert {key: data[key] for key in ("name", "output_shape", "size", "jump", "start")} == {
        "name": "conv(8,3x1)",
        "output_shape": [8, 13, 9],
        "size": [3, 7],
        "jump": [1, 1],
        "start": [1.5, 3.5],
    }
    square = receptive_fields(Stack(parse_layers("conv(8,3x3) conv(8,3)"), (1, 9, 9)))
    assert [row.across for row in square] == [None, None]
    assert field_cells(square[1])["field"] == "5x5"


def _autograd_field(layers: tuple[Layer, ...], shape, cell: tuple[int, int]):
    """(rows, columns) of the input one output cell depends on, as (first, last) per axis,
    from the gradient of a net with positive weights (so that nothing cancels)."""
    module = build_module(layers, shape)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.fill_(1.0)
    x = torch.ones(1, *shape, requires_grad=True)
    module(x)[0, 0, cell[0], cell[1]].backward()
    seen = x.grad[0].abs().sum(0).nonzero()
    return tuple((int(seen[:, axis].min()), int(seen[:, axis].max())) for axis in (0, 1))


def _inside(field, count: int, side: int) -> int | None:
    """An output index along one axis whose whole field lies inside the input, if any."""
    for index in range(count):
        centre = field.start + index * field.jump
        if centre - field.size / 2 >= 0 and centre + field.size / 2 <= side:
            return index
    return None


_GEOMETRIC = st.one_of(
    st.builds(
        Conv2d,
        out_channels=st.integers(1, 2),
        kernel=_side(4),
        stride=_side(2),
        padding=st.one_of(st.integers(0, 1), st.tuples(st.integers(0, 1), st.integers(0, 1))),
        dilation=_side(2),
    ),
    # average pooling: a max pool's gradient reaches only its winner
    st.builds(AvgPool2d, kernel=_side(3), stride=st.one_of(st.none(), _side(2))),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers=st.lists(_GEOMETRIC, min_size=1, max_size=3).map(tuple))
def test_the_field_per_axis_matches_autograd(layers) -> None:
    shape = (1, 24, 24)
    assume(tally(layers, shape).error is None)
    last = receptive_fields(Stack(layers, shape))[-1]
    axes = (last.field, last.across or last.field)
    cell = [_inside(f, n, 24) for f, n in zip(axes, last.output_shape[1:], strict=True)]
    assume(None not in cell)
    seen = _autograd_field(layers, shape, tuple(cell))
    for field, index, (first, final) in zip(axes, cell, seen, strict=True):
        assert final - first + 1 == field.size
        assert (first + final + 1) / 2 == field.start + index * field.jump
