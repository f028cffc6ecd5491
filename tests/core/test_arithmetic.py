"""Tests for the output-size, parameter and receptive-field formulas: exact values and torch."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnn_tui.core.convolution.arithmetic import (
    INPUT_FIELD,
    ArithmeticError_,
    FieldStep,
    ParamCount,
    conv_params,
    effective_kernel,
    linear_params,
    output_size,
    receptive_field_step,
    resolve_padding,
    size_report,
    transposed_output_size,
)
from cnn_tui.core.stacks.receptive_field import receptive_fields
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack import Stack as LayerStack

PROPERTY = settings(max_examples=50, deadline=None)
# torch warns that it copies the input for an even 'same' kernel; the shape is still exact.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

VGG16 = (
    "[conv(64,3,p=1) relu]*2 maxpool(2) [conv(128,3,p=1) relu]*2 maxpool(2) "
    "[conv(256,3,p=1) relu]*3 maxpool(2) [conv(512,3,p=1) relu]*3 maxpool(2) "
    "[conv(512,3,p=1) relu]*3 maxpool(2) flatten fc(4096) relu dropout fc(4096) relu dropout "
    "fc(1000)"
)


def _torch():
    return pytest.importorskip("torch")


def _conv_shape(size: int, kernel: int, stride: int, padding, dilation: int) -> int:
    torch = _torch()
    out = torch.nn.functional.conv2d(
        torch.zeros(1, 1, size, size),
        torch.zeros(1, 1, kernel, kernel),
        stride=stride,
        padding=padding,
        dilation=dilation,
    )
    assert out.shape[2] == out.shape[3]
    return out.shape[2]


# --- output_size ---------------------------------------------------------------------------------


def test_lecture_examples() -> None:
    # 5x5 input, 3x3 filter: stride 1 gives 3, stride 2 gives 2; a pad of 1 keeps 5
    assert output_size(5, 3) == 3
    assert output_size(5, 3, stride=2) == 2
    assert output_size(5, 3, padding=1) == 5
    # the lecture's MNIST net: 28 -> conv5 -> 24 -> pool2 -> 12 -> conv5 -> 8 -> pool2 -> 4
    assert output_size(28, 5) == 24
    assert output_size(24, 2, stride=2) == 12
    assert output_size(12, 5) == 8
    assert output_size(8, 2, stride=2) == 4
    # VGG: 3x3 pad 1 keeps the size, 2x2 stride 2 halves it
    assert output_size(224, 3, padding=1) == 224
    assert output_size(224, 2, stride=2) == 112
    # AlexNet's first layer: 227, 11x11 stride 4 -> 55
    assert output_size(227, 11, stride=4) == 55


def test_floor_drops_the_remainder() -> None:
    assert output_size(7, 3, stride=3) == 2
    assert output_size(7, 3, stride=3, ceil_mode=True) == 3
    assert output_size(6, 2, stride=2, ceil_mode=True) == 3


@PROPERTY
@given(
    size=st.integers(1, 32),
    kernel=st.integers(1, 7),
    stride=st.integers(1, 4),
    padding=st.integers(0, 4),
    dilation=st.integers(1, 3),
)
def test_output_size_matches_torch_conv2d(size, kernel, stride, padding, dilation) -> None:
    span = dilation * (kernel - 1) + 1
    if size + 2 * padding < span:
        with pytest.raises(ArithmeticError_, match="smaller than the"):
            output_size(size, kernel, stride, padding, dilation)
        return
    assert output_size(size, kernel, stride, padding, dilation) == _conv_shape(
        size, kernel, stride, padding, dilation
    )


@PROPERTY
@given(
    size=st.integers(1, 32),
    kernel=st.integers(1, 6),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
    ceil_mode=st.booleans(),
)
def test_pool_output_size_matches_torch_max_pool2d(
    size, kernel, stride, padding, dilation, ceil_mode
) -> None:
    torch = _torch()
    assume(padding <= kernel // 2)
    try:
        expected = torch.nn.functional.max_pool2d(
            torch.zeros(1, 1, size, size),
            kernel,
            stride=stride,
            padding=padding,
            dilation=dilation,
            ceil_mode=ceil_mode,
        ).shape[2]
    except RuntimeError:
        # torch: "Output size is too small"
        with pytest.raises(ArithmeticError_):
            output_size(size, kernel, stride, padding, dilation, ceil_mode)
        return
    assert output_size(size, kernel, stride, padding, dilation, ceil_mode) == expected


def test_ceil_mode_last_window_must_start_inside() -> None:
    torch = _torch()
    # ceil would give 3 windows, but the third would start in the right padding only
    assert output_size(5, 2, stride=2, padding=1, ceil_mode=True) == 3
    assert output_size(4, 2, stride=2, padding=1, ceil_mode=True) == 3
    assert output_size(6, 3, stride=3, padding=1, ceil_mode=True) == 3
    for size, kernel, stride, padding in [(5, 2, 2, 1), (4, 2, 2, 1), (6, 3, 3, 1)]:
        out = torch.nn.functional.max_pool2d(
            torch.zeros(1, 1, size, size), kernel, stride, padding, ceil_mode=True
        )
        assert output_size(size, kernel, stride, padding, ceil_mode=True) == out.shape[2]


@PROPERTY
@given(size=st.integers(1, 24), kernel=st.integers(1, 6), dilation=st.integers(1, 3))
def test_same_padding_keeps_the_size_like_torch(size, kernel, dilation) -> None:
    assert output_size(size, kernel, padding="same", dilation=dilation) == size
    assert _conv_shape(size, kernel, 1, "same", dilation) == size
    before, after = resolve_padding(kernel, "same", dilation)
    assert before + after == dilation * (kernel - 1)
    assert after - before in (0, 1)


@PROPERTY
@given(size=st.integers(1, 24), kernel=st.integers(1, 6), dilation=st.integers(1, 3))
def test_full_and_valid_padding(size, kernel, dilation) -> None:
    grow = dilation * (kernel - 1)
    assert output_size(size, kernel, padding="full", dilation=dilation) == size + grow
    assert output_size(size, kernel, padding="FULL", dilation=dilation) == size + grow
    assert _conv_shape(size, kernel, 1, grow, dilation) == size + grow
    if size > grow:
        assert output_size(size, kernel, padding="valid", dilation=dilation) == size - grow
        assert _conv_shape(size, kernel, 1, "valid", dilation) == size - grow
    elif size < grow + 1:
        with pytest.raises(ArithmeticError_):
            output_size(size, kernel, padding="valid", dilation=dilation)


def test_resolve_padding_values() -> None:
    assert resolve_padding(3, 0) == (0, 0)
    assert resolve_padding(3, 2) == (2, 2)
    assert resolve_padding(3, "valid") == (0, 0)
    assert resolve_padding(3, "same") == (1, 1)
    assert resolve_padding(4, "same") == (1, 2)
    assert resolve_padding(4, "same", dilation=2) == (3, 3)
    assert resolve_padding(2, "same", dilation=3) == (1, 2)
    assert resolve_padding(3, "full") == (2, 2)
    assert resolve_padding(3, "full", dilation=2) == (4, 4)
    assert effective_kernel(3) == 3
    assert effective_kernel(3, 2) == 5
    assert effective_kernel(5, 3) == 13


def test_output_size_errors() -> None:
    with pytest.raises(
        ArithmeticError_, match=r"^padding 'same' needs stride 1 \(as in PyTorch\)$"
    ):
        output_size(8, 3, stride=2, padding="same")
    with pytest.raises(
        ArithmeticError_, match=r"^padding must be a number or one of valid, same, full$"
    ):
        output_size(8, 3, padding="half")
    with pytest.raises(ArithmeticError_, match=r"^padding must be 0 or more, got -1$"):
        output_size(8, 3, padding=-1)
    with pytest.raises(ArithmeticError_, match=r"^stride must be at least 1, got 0$"):
        output_size(8, 3, stride=0)
    with pytest.raises(ArithmeticError_, match=r"^kernel must be at least 1, got 0$"):
        output_size(8, 0)
    with pytest.raises(ArithmeticError_, match=r"^size must be at least 1, got 0$"):
        output_size(0, 3)
    with pytest.raises(ArithmeticError_, match=r"^dilation must be at least 1, got 0$"):
        output_size(8, 3, dilation=0)
    with pytest.raises(
        ArithmeticError_, match=r"^input is 4 \(padded 4\), smaller than the kernel span 5$"
    ):
        output_size(4, 5)
    with pytest.raises(
        ArithmeticError_, match=r"^input is 4 \(padded 6\), smaller than the dilated kernel span 7$"
    ):
        output_size(4, 4, padding=1, dilation=2)
    assert issubclass(ArithmeticError_, ValueError)


# --- transposed convolution ----------------------------------------------------------------------


@PROPERTY
@given(
    size=st.integers(1, 16),
    kernel=st.integers(1, 6),
    stride=st.integers(1, 4),
    padding=st.integers(0, 4),
    dilation=st.integers(1, 3),
    output_padding=st.integers(0, 3),
)
def test_transposed_output_size_matches_torch(
    size, kernel, stride, padding, dilation, output_padding
) -> None:
    torch = _torch()
    assume(output_padding < max(stride, dilation))
    expected = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    if expected < 1:
        with pytest.raises(ArithmeticError_, match="leaves no output"):
            transposed_output_size(size, kernel, stride, padding, output_padding, dilation)
        return
    out = torch.nn.functional.conv_transpose2d(
        torch.zeros(1, 1, size, size),
        torch.zeros(1, 1, kernel, kernel),
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
    )
    assert out.shape[2] == expected
    assert (
        transposed_output_size(size, kernel, stride, padding, output_padding, dilation)
        == out.shape[2]
    )


def test_transposed_output_size_values_and_errors() -> None:
    # the classic upsampling layer: 4x4 stride 2 pad 1 doubles the size
    assert transposed_output_size(7, 4, stride=2, padding=1) == 14
    assert transposed_output_size(3, 3, stride=2, padding=1, output_padding=1) == 6
    assert transposed_output_size(3, 3) == 5
    with pytest.raises(
        ArithmeticError_, match=r"^output_padding must be smaller than stride or dilation$"
    ):
        transposed_output_size(3, 3, stride=2, output_padding=2)
    with pytest.raises(ArithmeticError_, match=r"^padding 3 leaves no output \(size -3\)$"):
        transposed_output_size(1, 3, padding=3)
    with pytest.raises(ArithmeticError_, match=r"^stride must be at least 1, got 0$"):
        transposed_output_size(3, 3, stride=0)


def test_transposed_output_size_rejects_negative_padding() -> None:
    with pytest.raises(ArithmeticError_):
        transposed_output_size(5, 3, padding=-1)


# --- size_report ---------------------------------------------------------------------------------


def test_size_report_lecture_formula() -> None:
    report = size_report(5, 3)
    assert report.output == 3
    assert report.exact is True
    assert report.uncovered == ()
    assert report.formula == "(5 - 3 + 2*0) / 1 + 1 = 3"
    assert report.explanation == ""
    assert report.padding == (0, 0)
    assert size_report(5, 3, stride=2, padding=1).formula == "(5 - 3 + 2*1) / 2 + 1 = 3"


def test_size_report_stride_that_does_not_divide() -> None:
    report = size_report(7, 3, stride=3)
    assert report.output == 2
    assert report.exact is False
    assert report.uncovered == (6,)
    assert report.formula.startswith("floor(")
    assert report.formula == "floor((7 - 3 + 2*0) / 3) + 1 = 2"
    assert report.explanation == (
        "input index 6 is never used: it lies past the last window (ending at 5), as (7 - 3) is"
        " not a multiple of the stride 3"
    )
    ceil = size_report(7, 3, stride=3, ceil_mode=True)
    assert ceil.output == 3
    assert ceil.formula == "ceil((7 - 3 + 2*0) / 3) + 1 = 3"
    assert ceil.uncovered == ()
    assert ceil.explanation == ""
    two = size_report(8, 3, stride=3)
    assert two.uncovered == (6, 7)
    assert two.explanation == (
        "input indices 6, 7 are never used: they lie past the last window (ending at 5), as"
        " (8 - 3) is not a multiple of the stride 3"
    )


def test_size_report_dilation_gaps() -> None:
    report = size_report(7, 3, stride=2, dilation=3)
    assert report.output == 1
    assert report.exact is True
    assert report.uncovered == (1, 2, 4, 5)
    assert report.formula == "(7 - (3*(3 - 1) + 1) + 2*0) / 2 + 1 = 1"
    assert report.explanation == (
        "input indices 1, 2, 4, 5 are never used: index 1 falls in a gap of the dilated kernel"
        " (dilation 3) and would need a window starting before the input; indices 2, 4 fall in"
        " gaps of the dilated kernel and would need windows starting before the input or"
        " running past the end of the input; index 5 falls in a gap of the dilated kernel and"
        " would need a window running past the end of the input"
    )
    # with stride 1 the shifted windows fill every gap
    full = size_report(7, 3, dilation=2)
    assert full.output == 3
    assert full.uncovered == ()
    assert full.formula == "(7 - (2*(3 - 1) + 1) + 2*0) / 1 + 1 = 3"


def test_size_report_uneven_same_padding() -> None:
    report = size_report(5, 2, padding="same")
    assert report.padding == (0, 1)
    assert report.output == 5
    assert report.formula == "(5 - 2 + 0 + 1) / 1 + 1 = 5"


def test_size_report_stride_gap_is_not_blamed_on_dilation() -> None:
    report = size_report(5, 1, stride=2)
    assert report.uncovered == (1, 3)
    assert "dilation" not in report.explanation


@PROPERTY
@given(
    size=st.integers(1, 30),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 4),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 3),
)
def test_size_report_uncovered_matches_brute_force(size, kernel, stride, padding, dilation) -> None:
    assume(size + 2 * padding >= dilation * (kernel - 1) + 1)
    report = size_report(size, kernel, stride, padding, dilation)
    out = output_size(size, kernel, stride, padding, dilation)
    assert report.output == out
    touched = {
        o * stride - padding + t * dilation for o in range(out) for t in range(kernel)
    } & set(range(size))
    assert report.uncovered == tuple(sorted(set(range(size)) - touched))
    assert report.exact == ((size + 2 * padding - dilation * (kernel - 1) - 1) % stride == 0)
    assert report.formula.endswith(f" = {out}")


# --- parameter counts ----------------------------------------------------------------------------


def test_conv_params_lecture_numbers() -> None:
    # six 5x5 filters on a 3-channel image: 6 * (5*5*3 + 1)
    six = conv_params(5, 3, 6)
    assert six == ParamCount(450, 6)
    assert six.total == 456
    assert conv_params(3, 3, 64).weights == 1_728
    assert conv_params(3, 64, 64).weights == 36_864
    assert conv_params(3, 64, 128) == ParamCount(73_728, 128)
    assert conv_params(3, 128, 128).weights == 147_456
    assert conv_params(3, 512, 512).weights == 2_359_296
    # the lecture's MNIST net
    assert conv_params(5, 1, 20).total == 520
    assert conv_params(5, 20, 50).total == 25_050


def test_conv_params_groups_bias_and_rectangles() -> None:
    assert conv_params(3, 64, 128, groups=2) == ParamCount(36_864, 128)
    # depthwise: one 3x3 filter per channel
    assert conv_params(3, 32, 32, groups=32) == ParamCount(288, 32)
    assert conv_params(3, 64, 128, bias=False) == ParamCount(73_728, 0)
    assert conv_params(3, 64, 128, bias=False).total == 73_728
    assert conv_params((3, 5), 4, 8) == ParamCount(480, 8)
    assert conv_params([1, 7], 2, 3).weights == 42


def test_conv_params_errors() -> None:
    with pytest.raises(
        ArithmeticError_,
        match=r"^groups=3 must divide both in_channels=64 and out_channels=128$",
    ):
        conv_params(3, 64, 128, groups=3)
    with pytest.raises(ArithmeticError_, match="groups=4 must divide"):
        conv_params(3, 8, 6, groups=4)
    with pytest.raises(ArithmeticError_, match=r"^in_channels must be at least 1, got 0$"):
        conv_params(3, 0, 8)
    with pytest.raises(ArithmeticError_, match=r"^kernel must be at least 1, got 0$"):
        conv_params((3, 0), 1, 8)
    with pytest.raises(ArithmeticError_, match=r"^groups must be at least 1, got 0$"):
        conv_params(3, 4, 8, groups=0)


def test_linear_params() -> None:
    assert linear_params(7 * 7 * 512, 4096) == ParamCount(102_760_448, 4096)
    assert linear_params(4096, 4096).weights == 16_777_216
    assert linear_params(4096, 1000).weights == 4_096_000
    assert linear_params(4096, 1000).total == 4_097_000
    assert linear_params(800, 500, bias=False) == ParamCount(400_000, 0)
    with pytest.raises(ArithmeticError_, match=r"^out_features must be at least 1, got 0$"):
        linear_params(10, 0)


@PROPERTY
@given(
    kernel=st.integers(1, 5),
    groups=st.integers(1, 4),
    cin_per=st.integers(1, 4),
    cout_per=st.integers(1, 4),
    bias=st.booleans(),
)
def test_conv_params_match_torch(kernel, groups, cin_per, cout_per, bias) -> None:
    torch = _torch()
    cin, cout = cin_per * groups, cout_per * groups
    module = torch.nn.Conv2d(cin, cout, kernel, groups=groups, bias=bias)
    count = conv_params(kernel, cin, cout, groups, bias)
    assert count.weights == module.weight.numel()
    assert count.biases == (module.bias.numel() if bias else 0)
    assert count.total == sum(p.numel() for p in module.parameters())


# --- receptive field -----------------------------------------------------------------------------


def test_receptive_field_steps() -> None:
    assert (INPUT_FIELD.size, INPUT_FIELD.jump, INPUT_FIELD.start) == (1, 1, 0.5)
    one = receptive_field_step(INPUT_FIELD, 3, 1, 1)
    assert one == FieldStep(3, 1, 0.5)
    two = receptive_field_step(one, 3, 1, 1)
    assert two.size == 5
    assert two.jump == 1
    pool = receptive_field_step(two, 2, 2, 0)
    assert pool == FieldStep(6, 2, 1.0)
    after = receptive_field_step(pool, 3, 1, 1)
    assert after == FieldStep(10, 2, 1.0)
    # three 3x3 convs see as far as one 7x7
    three = receptive_field_step(two, 3, 1, 1)
    assert three.size == 7
    # a dilated 3x3 (d=2) spans 5
    assert receptive_field_step(INPUT_FIELD, 3, 1, 0, dilation=2) == FieldStep(5, 1, 2.5)
    # valid 5x5 conv: first cell centred on input pixel 2
    assert receptive_field_step(INPUT_FIELD, 5, 1, 0).start == 2.5


def test_receptive_fields_of_vgg16() -> None:
    stack = LayerStack(parse_layers(VGG16), (3, 224, 224))
    rows = receptive_fields(stack)
    convs = [r for r in rows if r.label.startswith(("conv", "maxpool"))]
    assert [(r.field.size, r.field.jump) for r in convs[:3]] == [(3, 1), (5, 1), (6, 2)]
    # after the relu the field is unchanged
    assert rows[1].field == rows[0].field
    assert rows[1].label == "relu"
    # the last pool: 212 pixels with a jump of 32
    last_pool = rows[30]
    assert last_pool.label == "maxpool(2)"
    assert (last_pool.field.size, last_pool.field.jump) == (212, 32)
    flatten = rows[31]
    assert flatten.label == "flatten"
    assert flatten.field is None
    assert flatten.to_dict() == {
        "number": "32",
        "name": "flatten",
        "output_shape": [25088],
        "size": "global",
        "jump": None,
        "start": None,
        "exact": True,
        "even": True,
    }
    assert all(r.field is None for r in rows[31:])
    assert rows[0].to_dict() == {
        "number": "1",
        "name": "conv(64,3,p=1)",
        "output_shape": [64, 224, 224],
        "size": 3,
        "jump": 1,
        "start": 0.5,
        "exact": True,
        "even": True,
    }


@PROPERTY
@given(
    layers=st.lists(
        st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2)),
        min_size=1,
        max_size=4,
    )
)
def test_receptive_field_matches_gradient_support(layers) -> None:
    """An output cell depends on exactly the input pixels its receptive field spans."""
    torch = _torch()
    width = 64
    cells = width
    field = INPUT_FIELD
    for kernel, stride, padding, dilation in layers:
        try:
            cells = output_size(cells, kernel, stride, padding, dilation)
        except ArithmeticError_:
            assume(False)
        field = receptive_field_step(field, kernel, stride, padding, dilation)
    # cell o covers [first + o*jump, first + o*jump + size); pick one wholly inside the image,
    # so that no padded cell lies on any path to it
    first = round(field.start - field.size / 2)
    inside = [o for o in range(cells) if 0 <= first + o * field.jump <= width - field.size]
    assume(inside)
    cell = inside[len(inside) // 2]
    x = torch.zeros(1, 1, 1, width, requires_grad=True)
    y = x
    for kernel, stride, padding, dilation in layers:
        y = torch.nn.functional.conv2d(
            y,
            torch.ones(1, 1, 1, kernel),
            stride=(1, stride),
            padding=(0, padding),
            dilation=(1, dilation),
        )
    assert y.shape[3] == cells
    y[0, 0, 0, cell].backward()
    touched = (x.grad[0, 0, 0] != 0).nonzero().flatten().tolist()
    start = first + cell * field.jump
    span = list(range(start, start + field.size))
    assert touched[0] == span[0]
    assert touched[-1] == span[-1]
    if all(d == 1 and s <= k for k, s, _, d in layers):
        assert touched == span
    else:
        # dilation, or a stride longer than the kernel, leaves gaps inside the span
        assert set(touched) <= set(span)
