"""Tests for layer specs: the one-line syntax, shape inference, error messages and torch shapes."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_tui.core.stacks.blocks import (
    Concat,
    DenseBlock,
    Residual,
    format_layers,
    infer_output,
    walk,
)
from cnn_tui.core.stacks.layer_settings import layer_from_dict
from cnn_tui.core.stacks.layers import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Dropout2d,
    Flatten,
    LeakyReLU,
    Linear,
    LocalResponseNorm,
    LogSoftmax,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from cnn_tui.core.stacks.shapes import StackError, format_shape, parse_shape
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack import Stack

PROPERTY = settings(max_examples=50, deadline=None)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

LECTURE_MNIST = "conv(20,5) relu maxpool(2) conv(50,5) relu maxpool(2) flatten fc(500) relu fc(10)"
BLOCKS = (
    "conv(16,3,p=1) bn relu res[conv(16,3,p=1) bn relu conv(16,3,p=1) bn] "
    "res[conv(32,3,s=2,p=1) bn | conv(32,1,s=2,bias=false) bn] "
    "cat[conv(8,1) | maxpool(3,s=1,p=1) conv(8,1)] dense(2,4) adaptiveavgpool flatten fc(10)"
)


def _error(spec: str, shape=None) -> StackError:
    with pytest.raises(StackError) as info:
        layers = parse_layers(spec)
        if shape is not None:
            infer_output(layers, shape)
    return info.value


# --- the spec syntax -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        LECTURE_MNIST,
        "conv(64,3,p=1) relu conv(64,3,p=1) relu",
        "conv(8,3,s=2,p=same,d=2,g=2,bias=false)",
        "conv(8,3,p=full) conv(8,3,p=valid)",
        "conv(96,11,s=4) relu lrn maxpool(3,s=2)",
        "maxpool(3,s=2,p=1,ceil_mode=true) avgpool(3,s=1,p=1,count_include_pad=false)",
        "adaptiveavgpool adaptiveavgpool(7) flatten bn1d fc(10,bias=false) softmax logsoftmax",
        "leakyrelu(0.2) leakyrelu tanh sigmoid gelu dropout(0.3) dropout dropout2d(0.1)",
        "bn(eps=0.001,momentum=0.01) lrn(3,alpha=0.001,beta=0.5,k=2)",
        "res[conv(64,3,p=1) bn relu conv(64,3,p=1) bn]",
        "res[conv(128,3,s=2,p=1) bn | conv(128,1,s=2,bias=false) bn]",
        "cat[conv(64,1) | conv(96,1) relu conv(128,3,p=1) | maxpool(3,s=1,p=1) conv(32,1)]",
        "dense(6,32) dense(6,32,2) dense(4,12,drop_rate=0.2)",
        "res[res[conv(8,3,p=1)] cat[relu | tanh]]",
        BLOCKS,
    ],
)
def test_format_is_canonical_and_round_trips(spec: str) -> None:
    layers = parse_layers(spec)
    assert format_layers(layers) == spec
    assert parse_layers(format_layers(layers)) == layers


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("[conv(64,3,p=1) relu]*2", "conv(64,3,p=1) relu conv(64,3,p=1) relu"),
        ("[conv(8,3) [relu]*2]*2 fc(3)*2", "conv(8,3) relu relu conv(8,3) relu relu fc(3) fc(3)"),
        ("relu*3", "relu relu relu"),
        ("conv(8,k=3)", "conv(8,3)"),
        ("conv(8,3,s=1,p=1)", "conv(8,3,p=1)"),
        ("conv(8,3x3,s=2x2)", "conv(8,3,s=2)"),
        ("conv(8,3,s=2,p=SAME)", "conv(8,3,s=2,p=same)"),
        ("conv(out_channels=8,kernel=3,stride=1,padding=0)", "conv(8,3)"),
        ("conv(8,3,s=1,p=SAME,d=2,g=1,bias=true)", "conv(8,3,p=same,d=2)"),
        ("conv(8,3,bias=no) conv(8,3,bias=0)", "conv(8,3,bias=false) conv(8,3,bias=false)"),
        ("  conv( 8 , 3 )\trelu  ", "conv(8,3) relu"),
        ("Conv2d(8,3) ReLU", "conv(8,3) relu"),
        ("linear(10) Linear(5)", "fc(10) fc(5)"),
        ("batchnorm batchnorm2d batchnorm1d", "bn bn bn1d"),
        ("gap adaptiveavgpool2d(2)", "adaptiveavgpool adaptiveavgpool(2)"),
        ("pool(2) maxpool2d(2,s=1) avgpool2d(2)", "maxpool(2) maxpool(2,s=1) avgpool(2)"),
        ("maxpool(2,s=2)", "maxpool(2,s=2)"),
        ("leaky_relu(0.1) log_softmax localresponsenorm", "leakyrelu(0.1) logsoftmax lrn"),
        (
            "residual[relu] concat[relu|relu] inception[relu]",
            "res[relu] cat[relu | relu] cat[relu]",
        ),
        ("dense_block(3,8,bn_size=4)", "dense(3,8)"),
        ("dropout(0.5) leakyrelu(0.01)", "dropout leakyrelu"),
        ("[res[relu] cat[tanh|relu]]*2", "res[relu] cat[tanh | relu] res[relu] cat[tanh | relu]"),
    ],
)
def test_aliases_repeats_and_defaults(typed: str, canonical: str) -> None:
    layers = parse_layers(typed)
    assert format_layers(layers) == canonical
    assert parse_layers(canonical) == layers


def test_parsed_objects() -> None:
    assert parse_layers(LECTURE_MNIST) == (
        Conv2d(20, 5),
        ReLU(),
        MaxPool2d(2),
        Conv2d(50, 5),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(500),
        ReLU(),
        Linear(10),
    )
    (conv,) = parse_layers("conv(8,3,s=2,p=same,d=2,g=2,bias=false)")
    assert conv == Conv2d(8, 3, stride=2, padding="same", dilation=2, groups=2, bias=False)
    assert parse_layers("res[conv(8,3,p=1) | conv(8,1)]") == (
        Residual(body=(Conv2d(8, 3, padding=1),), shortcut=(Conv2d(8, 1),)),
    )
    assert parse_layers("cat[relu | tanh sigmoid]") == (
        Concat(paths=((ReLU(),), (Tanh(), Sigmoid()))),
    )
    assert parse_layers("dense(6,32)") == (DenseBlock(6, 32),)
    assert parse_layers("avgpool(3,s=2,p=1,count_include_pad=false)") == (
        AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    )
    assert parse_layers("leakyrelu(-0.5) dropout(1e-3)") == (LeakyReLU(-0.5), Dropout(0.001))
    assert parse_layers("[conv(64,3,p=1) relu]*2") == (Conv2d(64, 3, padding=1), ReLU()) * 2


_conv = st.builds(
    Conv2d,
    out_channels=st.integers(1, 512),
    kernel=st.integers(1, 11),
    stride=st.integers(1, 4),
    padding=st.one_of(st.integers(0, 5), st.sampled_from(["valid", "same", "full"])),
    dilation=st.integers(1, 3),
    groups=st.integers(1, 4),
    bias=st.booleans(),
)
_pool = st.sampled_from([MaxPool2d, AvgPool2d]).flatmap(
    lambda cls: st.builds(
        cls,
        kernel=st.integers(1, 5),
        stride=st.one_of(st.none(), st.integers(1, 5)),
        padding=st.integers(0, 2),
        ceil_mode=st.booleans(),
    )
)
_simple_float = st.sampled_from([0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 1.0, 1e-05, 0.001, 2.5])
_simple = st.one_of(
    _conv,
    _pool,
    st.builds(AvgPool2d, kernel=st.integers(1, 5), count_include_pad=st.booleans()),
    st.builds(AdaptiveAvgPool2d, output=st.integers(1, 7)),
    st.builds(Linear, out_features=st.integers(1, 5000), bias=st.booleans()),
    st.builds(LeakyReLU, slope=_simple_float),
    st.sampled_from([Dropout, Dropout2d]).flatmap(lambda cls: st.builds(cls, p=_simple_float)),
    st.builds(BatchNorm2d, eps=_simple_float, momentum=_simple_float),
    st.builds(BatchNorm1d, eps=_simple_float),
    st.builds(LocalResponseNorm, size=st.integers(1, 7), alpha=_simple_float, k=_simple_float),
    st.builds(DenseBlock, layers=st.integers(1, 6), growth=st.integers(1, 48)),
    st.sampled_from([ReLU(), Tanh(), Sigmoid(), Flatten(), Softmax(), LogSoftmax()]),
)
_layer = st.recursive(
    _simple,
    lambda inner: st.one_of(
        st.builds(
            Residual,
            body=st.lists(inner, min_size=1, max_size=3).map(tuple),
            shortcut=st.lists(inner, max_size=2).map(tuple),
        ),
        st.builds(
            Concat,
            paths=st.lists(
                st.lists(inner, min_size=1, max_size=2).map(tuple), min_size=1, max_size=3
            ).map(tuple),
        ),
    ),
    max_leaves=6,
)


@PROPERTY
@given(layers=st.lists(_layer, min_size=1, max_size=6).map(tuple))
def test_random_stacks_round_trip_through_text_and_dicts(layers) -> None:
    text = format_layers(layers)
    assert parse_layers(text) == layers
    assert format_layers(parse_layers(text)) == text
    assert tuple(layer_from_dict(layer.to_dict()) for layer in layers) == layers


def test_long_floats_round_trip() -> None:
    layers = parse_layers("dropout(0.1234567)")
    assert parse_layers(format_layers(layers)) == layers


# --- parse errors --------------------------------------------------------------------------------


def test_unknown_layer_points_at_it() -> None:
    error = _error("conv(20,5) relu maxpol(2)")
    assert error.column == 17
    assert error.reason.startswith("unknown layer 'maxpol' (known: adaptiveavgpool, avgpool, bn,")
    assert str(error).startswith("column 17: unknown layer 'maxpol'")
    assert error.pointer() == "conv(20,5) relu maxpol(2)\n                ^"
    assert error.source == "conv(20,5) relu maxpol(2)"
    assert error.path == ()


@pytest.mark.parametrize(
    ("spec", "column", "message"),
    [
        ("conv(20,5", 10, "expected ')' to close conv("),
        ("conv(20,5 relu", 11, "expected ',' between arguments, found 'relu'"),
        ("conv(20,x)", 9, "conv kernel: expected a whole number, got 'x'"),
        ("conv(20,5.5)", 9, "conv kernel: expected a whole number, got '5.5'"),
        ("conv(20,-5)", 9, "conv kernel: must be at least 1, got -5"),
        (
            "conv(8,3,p=half)",
            12,
            "conv padding: expected a whole number or valid/same/full, got 'half'",
        ),
        ("conv(8,3,bias=maybe)", 15, "conv bias: expected true or false, got 'maybe'"),
        ("dropout(abc)", 9, "dropout p: expected a number, got 'abc'"),
        ("[conv(8,3) relu]*0", 18, "expected a repeat count like *3 after '*'"),
        ("[conv(8,3) relu]*x", 18, "expected a repeat count like *3 after '*'"),
        ("[conv(8,3) relu]*", 18, "expected a repeat count like *3 after '*'"),
        ("relu*2.5", 6, "expected a repeat count like *3 after '*'"),
        (
            "[conv(8,3) relu",
            16,
            "expected ']' to close the group opened at column 1, found 'the end'",
        ),
        ("relu []", 6, "empty group []"),
        ("conv(8,3) ]", 11, "expected a layer name, found ']'"),
        ("conv(8,3) @", 11, "unexpected character '@'"),
        ("conv(8)", 1, "conv needs kernel"),
        ("relu fc", 6, "fc needs out_features"),
        (
            "conv(8,3,1,1,1)",
            10,
            "conv takes (filters, kernel); give the other settings by name (s=, p=, d=, g=)",
        ),
        ("relu(1)", 6, "relu takes at most 0 unnamed arguments (none)"),
        ("conv(8,3,s=1,2)", 14, "positional argument after a named one"),
        ("conv(8,3,kernel=3)", 17, "kernel given twice"),
        ("res", 4, "expected '[' after res: res[body | shortcut], found 'the end'"),
        ("res[]", 1, "res takes res[body] or res[body | shortcut]"),
        ("res[relu|relu|relu]", 1, "res takes res[body] or res[body | shortcut]"),
        ("res[relu", 9, "expected ']' to close res[ opened at column 4, found 'the end'"),
        (
            "cat[conv(8,1)||conv(8,1)]",
            1,
            "cat takes cat[branch | branch | ...] with no empty branch",
        ),
        ("relu )", 6, "expected a layer name, found ')'"),
        ("relu | relu", 6, "expected a layer name, found '|'"),
    ],
)
def test_parse_errors_name_the_column(spec: str, column: int, message: str) -> None:
    error = _error(spec)
    assert error.column == column
    assert error.reason == message
    assert str(error) == f"column {column}: {message}"
    assert error.pointer() == f"{spec}\n{' ' * (column - 1)}^"


def test_unknown_setting_lists_the_settings() -> None:
    error = _error("conv(8,3,q=1)")
    assert error.column == 12
    assert error.reason == (
        "conv has no setting 'q' (settings: bias, dilation, groups, kernel, out_channels, "
        "padding, stride)"
    )


@pytest.mark.parametrize("spec", ["", "   ", "\t\n"])
def test_empty_spec(spec: str) -> None:
    error = _error(spec)
    assert str(error) == "the spec is empty: type layers like conv(20,5) relu maxpool(2)"
    assert error.column is None
    assert error.pointer() == ""


def test_setting_given_twice_through_alias() -> None:
    error = _error("conv(8,3,stride=1,s=2)")
    assert error.reason == "stride given twice"


def test_missing_value_after_equals() -> None:
    error = _error("conv(8,3,p=)")
    assert error.reason == "expected a value after p="


# --- shapes --------------------------------------------------------------------------------------


def test_walk_the_lecture_net() -> None:
    placed = list(walk(parse_layers(LECTURE_MNIST), (1, 28, 28)))
    assert [p.number for p in placed] == [str(i) for i in range(1, 11)]
    assert [p.output_shape for p in placed] == [
        (20, 24, 24),
        (20, 24, 24),
        (20, 12, 12),
        (50, 8, 8),
        (50, 8, 8),
        (50, 4, 4),
        (800,),
        (500,),
        (500,),
        (10,),
    ]
    assert placed[0].input_shape == (1, 28, 28)
    assert all(a.output_shape == b.input_shape for a, b in itertools.pairwise(placed))
    assert all(p.depth == 0 for p in placed)
    assert infer_output(parse_layers(LECTURE_MNIST), (1, 28, 28)) == (10,)


def test_walk_blocks_before_children() -> None:
    placed = list(walk(parse_layers(BLOCKS), (3, 32, 32)))
    got = [(p.number, p.depth, p.layer.label(), p.input_shape, p.output_shape) for p in placed]
    res1 = "res[conv(16,3,p=1) bn relu conv(16,3,p=1) bn]"
    res2 = "res[conv(32,3,s=2,p=1) bn | conv(32,1,s=2,bias=false) bn]"
    cat = "cat[conv(8,1) | maxpool(3,s=1,p=1) conv(8,1)]"
    m16, m32, h16 = (16, 32, 32), (32, 16, 16), (16, 16, 16)
    assert got == [
        ("1", 0, "conv(16,3,p=1)", (3, 32, 32), m16),
        ("2", 0, "bn", m16, m16),
        ("3", 0, "relu", m16, m16),
        ("4", 0, res1, m16, m16),
        ("4.1.1", 1, "conv(16,3,p=1)", m16, m16),
        ("4.1.2", 1, "bn", m16, m16),
        ("4.1.3", 1, "relu", m16, m16),
        ("4.1.4", 1, "conv(16,3,p=1)", m16, m16),
        ("4.1.5", 1, "bn", m16, m16),
        ("5", 0, res2, m16, m32),
        ("5.1.1", 1, "conv(32,3,s=2,p=1)", m16, m32),
        ("5.1.2", 1, "bn", m32, m32),
        ("5.2.1", 1, "conv(32,1,s=2,bias=false)", m16, m32),
        ("5.2.2", 1, "bn", m32, m32),
        ("6", 0, cat, m32, h16),
        ("6.1.1", 1, "conv(8,1)", m32, (8, 16, 16)),
        ("6.2.1", 1, "maxpool(3,s=1,p=1)", m32, m32),
        ("6.2.2", 1, "conv(8,1)", m32, (8, 16, 16)),
        ("7", 0, "dense(2,4)", h16, (24, 16, 16)),
        ("7.1.1", 1, "bn", h16, h16),
        ("7.1.2", 1, "relu", h16, h16),
        ("7.1.3", 1, "conv(16,1,bias=false)", h16, h16),
        ("7.1.4", 1, "bn", h16, h16),
        ("7.1.5", 1, "relu", h16, h16),
        ("7.1.6", 1, "conv(4,3,p=1,bias=false)", h16, (4, 16, 16)),
        ("7.2.1", 1, "bn", (20, 16, 16), (20, 16, 16)),
        ("7.2.2", 1, "relu", (20, 16, 16), (20, 16, 16)),
        ("7.2.3", 1, "conv(16,1,bias=false)", (20, 16, 16), h16),
        ("7.2.4", 1, "bn", h16, h16),
        ("7.2.5", 1, "relu", h16, h16),
        ("7.2.6", 1, "conv(4,3,p=1,bias=false)", h16, (4, 16, 16)),
        ("8", 0, "adaptiveavgpool", (24, 16, 16), (24, 1, 1)),
        ("9", 0, "flatten", (24, 1, 1), (24,)),
        ("10", 0, "fc(10)", (24,), (10,)),
    ]
    assert placed[4].path == (4, 1, 1)
    assert infer_output(parse_layers(BLOCKS), (3, 32, 32)) == (10,)


def test_nested_blocks_number_deeply() -> None:
    placed = list(
        walk(parse_layers("relu res[relu cat[conv(4,1) | conv(4,3,p=1) tanh]]"), (8, 8, 8))
    )
    assert [(p.number, p.depth) for p in placed] == [
        ("1", 0),
        ("2", 0),
        ("2.1.1", 1),
        ("2.1.2", 1),
        ("2.1.2.1.1", 2),
        ("2.1.2.2.1", 2),
        ("2.1.2.2.2", 2),
    ]
    assert placed[3].output_shape == (8, 8, 8)


def test_dense_block_recipe() -> None:
    block = DenseBlock(3, 12, bn_size=2, drop_rate=0.1)
    assert block.dense_layer() == (
        BatchNorm2d(),
        ReLU(),
        Conv2d(24, 1, bias=False),
        BatchNorm2d(),
        ReLU(),
        Conv2d(12, 3, padding=1, bias=False),
        Dropout(0.1),
    )
    assert block.output_shape((64, 56, 56)) == (100, 56, 56)
    inputs = [p.input_shape for p in walk((block,), (64, 56, 56)) if p.number.endswith(".1")]
    assert inputs == [(64, 56, 56), (76, 56, 56), (88, 56, 56)]


@pytest.mark.parametrize(
    ("spec", "shape", "output"),
    [
        ("conv(8,3,p=same)", (3, 9, 9), (8, 9, 9)),
        ("conv(8,4,p=same,d=3)", (3, 9, 9), (8, 9, 9)),
        ("conv(8,3,p=full)", (3, 9, 9), (8, 11, 11)),
        ("conv(8,3,p=valid,d=2)", (3, 9, 9), (8, 5, 5)),
        ("conv(8,3,s=2)", (3, 9, 8), (8, 4, 3)),
        ("maxpool(3)", (5, 10, 10), (5, 3, 3)),
        ("maxpool(3,ceil_mode=true)", (5, 10, 10), (5, 4, 4)),
        ("maxpool(3,s=2,p=1)", (5, 10, 10), (5, 5, 5)),
        ("adaptiveavgpool(7)", (512, 3, 3), (512, 7, 7)),
        ("gap flatten", (512, 7, 7), (512,)),
        ("flatten", (784,), (784,)),
        ("fc(10)", (784,), (10,)),
        ("bn1d fc(10) softmax", (784,), (10,)),
    ],
)
def test_infer_output(spec, shape, output) -> None:
    assert infer_output(parse_layers(spec), shape) == output


@PROPERTY
@given(
    size=st.integers(1, 12),
    kernel=st.integers(1, 5),
    stride=st.one_of(st.none(), st.integers(1, 3)),
    padding=st.integers(0, 2),
    ceil_mode=st.booleans(),
    average=st.booleans(),
)
def test_pool_layer_shapes_match_torch(size, kernel, stride, padding, ceil_mode, average) -> None:
    torch = pytest.importorskip("torch")
    cls, function = (
        (AvgPool2d, torch.nn.functional.avg_pool2d)
        if average
        else (MaxPool2d, torch.nn.functional.max_pool2d)
    )
    layer = cls(kernel, stride=stride, padding=padding, ceil_mode=ceil_mode)
    try:
        out = function(
            torch.zeros(1, 2, size, size + 1),
            kernel,
            stride=stride,
            padding=padding,
            ceil_mode=ceil_mode,
        )
    except RuntimeError:
        # torch: pad should be at most half the kernel, or the output would be empty
        with pytest.raises(StackError):
            infer_output((layer,), (2, size, size + 1))
        return
    assert infer_output((layer,), (2, size, size + 1)) == tuple(out.shape[1:])


# --- shape errors --------------------------------------------------------------------------------


def test_lecture_shape_error() -> None:
    error = _error("conv(20,5) relu maxpool(2) conv(50,5) relu maxpool(2) conv(50,5)", (1, 28, 28))
    assert str(error) == "layer 7 conv(50,5): input is 4x4, smaller than the 5x5 kernel"
    assert error.path == (7,)
    assert error.label == "conv(50,5)"
    assert error.reason == "input is 4x4, smaller than the 5x5 kernel"
    assert error.column is None
    assert error.pointer() == ""


@pytest.mark.parametrize(
    ("spec", "shape", "message"),
    [
        (
            "conv(20,5) fc(10)",
            (1, 28, 28),
            "layer 2 fc(10): fc needs a feature vector, got a 20x24x24 map; add flatten first",
        ),
        (
            "conv(8,3) res[conv(16,3,p=1)]",
            (1, 28, 28),
            "layer 2 res[conv(16,3,p=1)]: body gives 16x26x26 but the identity shortcut gives "
            "8x26x26; add a projection: | conv(K,1,s=S) bn",
        ),
        (
            "conv(8,3) res[conv(16,3,p=1) | conv(16,1,s=2)]",
            (1, 28, 28),
            "layer 2 res[conv(16,3,p=1) | conv(16,1,s=2)]: body gives 16x26x26 but the "
            "projection shortcut gives 16x13x13",
        ),
        (
            "cat[conv(8,3) | conv(8,3,p=1)]",
            (1, 28, 28),
            "layer 1 cat[conv(8,3) | conv(8,3,p=1)]: branch 2 gives 8x28x28, branch 1 gives "
            "8x26x26: their heights and widths must match",
        ),
        (
            "relu cat[conv(8,3) | flatten]",
            (1, 28, 28),
            "layer 2 cat[conv(8,3) | flatten]: branch 2 gives 784, branch 1 gives 8x26x26: "
            "their heights and widths must match",
        ),
        (
            "conv(8,3,d=2)",
            (1, 4, 4),
            "layer 1 conv(8,3,d=2): input is 4x4, smaller than the 5x5 dilated kernel",
        ),
        (
            "conv(8,5,p=1)",
            (1, 2, 2),
            "layer 1 conv(8,5,p=1): input is 2x2 (padded 4x4), smaller than the 5x5 kernel",
        ),
        (
            "maxpool(3)",
            (1, 2, 5),
            "layer 1 maxpool(3): input is 2x5, smaller than the 3x3 window",
        ),
        (
            "conv(8,3,g=3)",
            (4, 8, 8),
            "layer 1 conv(8,3,g=3): groups=3 must divide the 4 input and 8 output channels",
        ),
        (
            "conv(8,3,s=2,p=same)",
            (4, 8, 8),
            "layer 1 conv(8,3,s=2,p=same): padding 'same' needs stride 1 (as in PyTorch)",
        ),
        (
            "maxpool(2,p=2)",
            (4, 8, 8),
            "layer 1 maxpool(2,p=2): padding 2 is more than half the 2 window",
        ),
        ("dropout(2)", (4, 8, 8), "layer 1 dropout(2): p must lie between 0 and 1, got 2"),
        ("bn1d", (4, 8, 8), "layer 1 bn1d: bn1d needs a feature vector, got 4x8x8; use bn"),
        (
            "flatten bn",
            (4, 8, 8),
            "layer 2 bn: bn needs a CxHxW feature map, got 256 features",
        ),
        (
            "conv(8,3)",
            (784,),
            "layer 1 conv(8,3): conv needs a CxHxW feature map, got 784 features",
        ),
        (
            "gap dense(2,4)",
            (4,),
            "layer 1 adaptiveavgpool: adaptiveavgpool needs a CxHxW feature map, got 4 features",
        ),
    ],
)
def test_shape_errors_name_the_layer(spec, shape, message) -> None:
    error = _error(spec, shape)
    assert str(error) == message


def test_error_inside_a_nested_block_names_the_inner_layer() -> None:
    error = _error("conv(8,3) res[conv(8,3,p=1) res[conv(8,3,p=1) conv(8,30)]]", (1, 28, 28))
    assert error.path == (2, 1, 2, 1, 2)
    assert error.label == "conv(8,30)"
    assert str(error) == "layer 2.1.2.1.2 conv(8,30): input is 26x26, smaller than the 30x30 kernel"


def test_error_merging_branches_names_the_block() -> None:
    error = _error("res[conv(16,3,p=1)]", (8, 10, 10))
    assert error.path == (1,)
    assert str(error).startswith(
        "layer 1 res[conv(16,3,p=1)]: body gives 16x10x10 but the identity shortcut gives 8x10x10"
    )


def test_walk_stops_at_the_failing_layer() -> None:
    layers = parse_layers("conv(8,3) relu maxpool(2) conv(8,5)")
    seen = []
    with pytest.raises(StackError):
        seen.extend(walk(layers, (1, 8, 8)))
    assert [p.number for p in seen] == ["1", "2", "3"]


# --- parse_shape ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("3x224x224", (3, 224, 224)),
        ("3,224,224", (3, 224, 224)),
        ("1 28 28", (1, 28, 28)),
        ("784", (784,)),
        ("3×32×32", (3, 32, 32)),
        (" 3X32x32 ", (3, 32, 32)),
        ("3, 32, 32", (3, 32, 32)),
    ],
)
def test_parse_shape(text, shape) -> None:
    assert parse_shape(text) == shape
    assert parse_shape(format_shape(shape)) == shape


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "input shape 'abc' is not like 3x224x224 or 784"),
        ("3x2.5x2", "input shape '3x2.5x2' is not like 3x224x224 or 784"),
        ("", "input shape '' must be CxHxW (e.g. 3x224x224) or a feature count"),
        ("3x224", "input shape '3x224' must be CxHxW (e.g. 3x224x224) or a feature count"),
        ("1x2x3x4", "input shape '1x2x3x4' must be CxHxW (e.g. 3x224x224) or a feature count"),
        ("0x28x28", "input shape '0x28x28' must be CxHxW (e.g. 3x224x224) or a feature count"),
    ],
)
def test_parse_shape_errors(text, message) -> None:
    with pytest.raises(StackError) as info:
        parse_shape(text)
    assert str(info.value) == message


def test_format_shape_and_stack() -> None:
    assert format_shape((3, 224, 224)) == "3x224x224"
    assert format_shape((4096,)) == "4096"
    stack = Stack(parse_layers(LECTURE_MNIST), (1, 28, 28), name="mnist")
    assert stack.spec == LECTURE_MNIST
    assert stack.output_shape() == (10,)
    bigger = stack.with_input((1, 32, 32))
    assert bigger.input_shape == (1, 32, 32)
    assert bigger.name == "mnist"
    assert stack.input_shape == (1, 28, 28)
    with pytest.raises(StackError, match="fc needs a feature vector"):
        Stack(parse_layers("fc(10)"), (1, 4, 4)).output_shape()


# --- layer_from_dict / to_dict -------------------------------------------------------------------


def test_to_dict_forms() -> None:
    assert Conv2d(8, 3).to_dict() == {"type": "conv", "out_channels": 8, "kernel": 3}
    assert Conv2d(8, 3, stride=2, padding="same", bias=False).to_dict() == {
        "type": "conv",
        "out_channels": 8,
        "kernel": 3,
        "stride": 2,
        "padding": "same",
        "bias": False,
    }
    assert ReLU().to_dict() == {"type": "relu"}
    assert MaxPool2d(3, 2).to_dict() == {"type": "maxpool", "kernel": 3, "stride": 2}
    assert Dropout(0.3).to_dict() == {"type": "dropout", "p": 0.3}
    assert DenseBlock(2, 4).to_dict() == {"type": "dense", "layers": 2, "growth": 4}
    assert Residual(body=(ReLU(),)).to_dict() == {"type": "res", "body": [{"type": "relu"}]}
    assert Residual(body=(ReLU(),), shortcut=(Conv2d(4, 1),)).to_dict() == {
        "type": "res",
        "body": [{"type": "relu"}],
        "shortcut": [{"type": "conv", "out_channels": 4, "kernel": 1}],
    }
    assert Concat(paths=((ReLU(),), (Tanh(), Flatten()))).to_dict() == {
        "type": "cat",
        "branches": [[{"type": "relu"}], [{"type": "tanh"}, {"type": "flatten"}]],
    }


@pytest.mark.parametrize("spec", [LECTURE_MNIST, BLOCKS, "conv(8,3,s=2,p=same,d=2,g=2,bias=false)"])
def test_dict_round_trip(spec) -> None:
    layers = parse_layers(spec)
    assert tuple(layer_from_dict(layer.to_dict()) for layer in layers) == layers


def test_layer_from_dict_accepts_aliases_and_text() -> None:
    assert layer_from_dict({"type": "Linear", "out_features": "10"}) == Linear(10)
    assert layer_from_dict({"type": "conv", "out_channels": 8, "kernel": 3, "padding": "SAME"}) == (
        Conv2d(8, 3, padding="same")
    )
    assert layer_from_dict({"type": "conv", "out_channels": 8, "kernel": 3, "bias": "no"}) == (
        Conv2d(8, 3, bias=False)
    )
    assert layer_from_dict({"type": "maxpool", "kernel": 2, "stride": None}) == MaxPool2d(2)
    assert layer_from_dict({"type": "residual", "body": [{"type": "relu"}]}) == Residual(
        body=(ReLU(),)
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "nope"}, "layer: unknown layer type 'nope'"),
        ({"kind": "conv"}, "layer: expected an object with a 'type'"),
        ("relu", "layer: expected an object with a 'type'"),
        ({"type": "conv", "out_channels": 8}, "layer (conv): missing kernel"),
        ({"type": "fc"}, "layer (fc): missing out_features"),
        (
            {"type": "conv", "out_channels": 8, "kernel": 3, "colour": 2},
            "layer (conv): unknown setting 'colour'",
        ),
        (
            {"type": "conv", "out_channels": "many", "kernel": 3},
            "layer (conv) out_channels: expected a whole number, got 'many'",
        ),
        (
            {"type": "conv", "out_channels": True, "kernel": 3},
            "layer (conv) out_channels: expected a whole number, got True",
        ),
        (
            {"type": "conv", "out_channels": 2.5, "kernel": 3},
            "layer (conv) out_channels: expected a whole number, got 2.5",
        ),
        (
            {"type": "conv", "out_channels": 8, "kernel": 3, "padding": -1},
            "layer (conv) padding: must be at least 0, got -1",
        ),
        (
            {"type": "conv", "out_channels": 8, "kernel": 3, "bias": 2},
            "layer (conv) bias: expected true or false, got 2",
        ),
        ({"type": "dropout", "p": None}, "layer (dropout) p: expected a number, got None"),
        ({"type": "res"}, "layer.body: expected a list of layers"),
        ({"type": "res", "body": "x"}, "layer.body: expected a list of layers"),
        ({"type": "res", "body": []}, "layer: res needs a non-empty body"),
        (
            {"type": "res", "body": [{"type": "relu"}], "shortcut": [{"type": "warp"}]},
            "layer.shortcut[0]: unknown layer type 'warp'",
        ),
        ({"type": "cat", "branches": []}, "layer: cat needs a list of branches"),
        ({"type": "cat"}, "layer: cat needs a list of branches"),
        (
            {"type": "cat", "branches": [[{"type": "relu"}], "x"]},
            "layer.branches[1]: expected a list of layers",
        ),
        (
            {"type": "cat", "branches": [[{"type": "relu"}], [{"type": "fc"}]]},
            "layer.branches[1][0] (fc): missing out_features",
        ),
    ],
)
def test_layer_from_dict_errors(data, message) -> None:
    with pytest.raises(StackError) as info:
        layer_from_dict(data)
    assert str(info.value) == message


def test_layer_from_dict_names_where() -> None:
    with pytest.raises(StackError, match=r"^layer 4 \(conv\): missing kernel$"):
        layer_from_dict({"type": "conv", "out_channels": 8}, "layer 4")


def test_layer_from_dict_rejects_empty_cat_branch() -> None:
    with pytest.raises(StackError):
        layer_from_dict({"type": "cat", "branches": [[{"type": "relu"}], []]})


# --- agreement with torch ------------------------------------------------------------------------


def _torch_shapes(modules, shape):
    torch = pytest.importorskip("torch")
    x = torch.zeros(1, *shape)
    shapes = []
    with torch.no_grad():
        for module in modules:
            module.eval()
            x = module(x)
            shapes.append(tuple(x.shape[1:]))
    return shapes


def _torch_stacks():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    return [
        (
            LECTURE_MNIST,
            (1, 28, 28),
            [
                nn.Conv2d(1, 20, 5),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(20, 50, 5),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Flatten(),
                nn.Linear(800, 500),
                nn.ReLU(),
                nn.Linear(500, 10),
            ],
        ),
        (
            # AlexNet's geometry with fewer channels
            "conv(12,11,s=4) relu lrn maxpool(3,s=2) conv(32,5,p=2) relu lrn maxpool(3,s=2) "
            "conv(48,3,p=1) relu conv(48,3,p=1) relu conv(32,3,p=1) relu maxpool(3,s=2) "
            "flatten dropout fc(64) relu fc(10) logsoftmax",
            (3, 227, 227),
            [
                nn.Conv2d(3, 12, 11, stride=4),
                nn.ReLU(),
                nn.LocalResponseNorm(5),
                nn.MaxPool2d(3, 2),
                nn.Conv2d(12, 32, 5, padding=2),
                nn.ReLU(),
                nn.LocalResponseNorm(5),
                nn.MaxPool2d(3, 2),
                nn.Conv2d(32, 48, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(48, 48, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(48, 32, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(3, 2),
                nn.Flatten(),
                nn.Dropout(),
                nn.Linear(32 * 6 * 6, 64),
                nn.ReLU(),
                nn.Linear(64, 10),
                nn.LogSoftmax(dim=1),
            ],
        ),
        (
            "conv(8,4,p=same,d=2) conv(16,3,s=2,p=full,g=2) leakyrelu(0.1) "
            "avgpool(3,s=2,p=1,ceil_mode=true) maxpool(2,ceil_mode=true) dropout2d bn "
            "conv(4,1,bias=false) gelu adaptiveavgpool(3) flatten bn1d fc(7) tanh sigmoid softmax",
            (2, 17, 17),
            [
                nn.Conv2d(2, 8, 4, padding="same", dilation=2),
                nn.Conv2d(8, 16, 3, stride=2, padding=2, groups=2),
                nn.LeakyReLU(0.1),
                nn.AvgPool2d(3, 2, 1, ceil_mode=True),
                nn.MaxPool2d(2, ceil_mode=True),
                nn.Dropout2d(),
                nn.BatchNorm2d(16),
                nn.Conv2d(16, 4, 1, bias=False),
                nn.GELU(),
                nn.AdaptiveAvgPool2d(3),
                nn.Flatten(),
                nn.BatchNorm1d(36),
                nn.Linear(36, 7),
                nn.Tanh(),
                nn.Sigmoid(),
                nn.Softmax(dim=1),
            ],
        ),
    ]


def test_walk_matches_torch_layer_by_layer() -> None:
    for spec, shape, modules in _torch_stacks():
        placed = list(walk(parse_layers(spec), shape))
        assert len(placed) == len(modules)
        assert [p.output_shape for p in placed] == _torch_shapes(modules, shape), spec


def test_walk_matches_torch_with_blocks() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    placed = {p.number: p.output_shape for p in walk(parse_layers(BLOCKS), (3, 32, 32))}
    got: dict[str, tuple[int, ...]] = {}

    def run(numbers, modules, x):
        """Apply modules in turn, recording each output shape under the given row numbers."""
        if isinstance(numbers, str):
            numbers = [f"{numbers}.{i}" for i in range(1, len(modules) + 1)]
        for number, module in zip(numbers, modules, strict=True):
            x = module.eval()(x)
            got[number] = tuple(x.shape[1:])
        return x

    with torch.no_grad():
        x = torch.zeros(1, 3, 32, 32)
        x = run(["1", "2", "3"], [nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU()], x)
        body = [
            nn.Conv2d(16, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding=1),
            nn.BatchNorm2d(16),
        ]
        x = run("4.1", body, x) + x
        got["4"] = tuple(x.shape[1:])
        body = [nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32)]
        shortcut = [nn.Conv2d(16, 32, 1, stride=2, bias=False), nn.BatchNorm2d(32)]
        x = run("5.1", body, x) + run("5.2", shortcut, x)
        got["5"] = tuple(x.shape[1:])
        first = run("6.1", [nn.Conv2d(32, 8, 1)], x)
        second = run("6.2", [nn.MaxPool2d(3, 1, 1), nn.Conv2d(32, 8, 1)], x)
        x = torch.cat([first, second], dim=1)
        got["6"] = tuple(x.shape[1:])
        features = [x]
        for number in (1, 2):
            cin = 16 + (number - 1) * 4
            dense = [
                nn.BatchNorm2d(cin),
                nn.ReLU(),
                nn.Conv2d(cin, 16, 1, bias=False),
                nn.BatchNorm2d(16),
                nn.ReLU(),
                nn.Conv2d(16, 4, 3, padding=1, bias=False),
            ]
            features.append(run(f"7.{number}", dense, torch.cat(features, dim=1)))
        x = torch.cat(features, dim=1)
        got["7"] = tuple(x.shape[1:])
        run(["8", "9", "10"], [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(24, 10)], x)
    assert got == placed
