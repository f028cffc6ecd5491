"""Tests for the backward stepper: the lecture's example exactly, and agreement with autograd."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnn_tui.core.convolution.backward_conv import FLIP_NOTE, conv_backward
from cnn_tui.core.convolution.backward_pool import ZERO_WINDOW_NOTE, pool_backward
from cnn_tui.core.convolution.backward_presets import BACKWARD_PRESETS, backward_for
from cnn_tui.core.convolution.backward_sgd import LINEAR, SUM_OF_SQUARES, sgd_step
from cnn_tui.core.convolution.backward_steps import LOSS_NOTE
from cnn_tui.core.convolution.conv_trace import conv1d_trace, conv2d_trace
from cnn_tui.core.convolution.pool_trace import pool2d_trace
from cnn_tui.core.convolution.presets import PRESETS
from cnn_tui.core.convolution.stepper import StepperError

torch = pytest.importorskip("torch")
F = torch.nn.functional

PROPERTY = settings(max_examples=40, deadline=None)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
_SMALL = st.sampled_from([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])


def _grid(draw, shape, elements=_SMALL) -> np.ndarray:
    return draw(hnp.arrays(np.float64, shape, elements=elements))


def _leaf(array):
    return torch.tensor(np.ascontiguousarray(array), dtype=torch.float64, requires_grad=True)


def _close(actual, expected) -> None:
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-9)


# --- the lecture's example and the presets -------------------------------------------------------


def test_seed_conv_backward_with_all_ones():
    backward = conv_backward(PRESETS["seed-conv"].trace())
    assert backward.upstream.source == "ones"
    assert backward.grad_weight[0, 0].tolist() == [[6, 7, 6], [4, 7, 7], [4, 6, 6]]
    assert backward.grad_bias.tolist() == [9]
    assert backward.grad_input[0].tolist() == [
        [1, 1, 2, 1, 1],
        [1, 2, 3, 2, 1],
        [2, 3, 5, 3, 2],
        [1, 2, 3, 2, 1],
        [1, 1, 2, 1, 1],
    ]
    first = backward.weight_steps[0]
    assert first.position == (0, 0, 0, 0) and first.used_position == (0, 0, 0, 0)
    assert first.equation() == "1x1 + 1x1 + 1x1 + 0x1 + 1x1 + 1x1 + 0x1 + 0x1 + 1x1 = 6"
    assert first.cells[:3] == ((0, 0, 0), (0, 0, 1), (0, 0, 2))
    centre = backward.input_steps[12]
    assert centre.position == (0, 2, 2) and len(centre.terms) == 9
    assert centre.equation() == "1x1 + 0x1 + 1x1 + 0x1 + 1x1 + 0x1 + 1x1 + 0x1 + 1x1 = 5"
    assert backward.bias_steps[0].equation() == "1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 = 9"
    assert backward.weight_note == ""


def test_seed_conv_scatter_accumulates_overlaps():
    backward = conv_backward(PRESETS["seed-conv"].trace())
    assert len(backward.scatter_steps) == 9
    second = backward.scatter_steps[1]
    assert second.output_position == (0, 0, 1)
    # input (0, 0, 1) is met by window 0 (tap 0,1: weight 0) then window 1 (tap 0,0: weight 1)
    cell = next(c for c in second.contributions if c.input_position == (0, 0, 1))
    assert (cell.factor, cell.amount, cell.total) == (1.0, 1.0, 1.0)
    last = {c.input_position: c.total for s in backward.scatter_steps for c in s.contributions}
    assert last[(0, 2, 2)] == 5.0


def test_full_convolution_view_of_seed_conv():
    full = conv_backward(PRESETS["seed-conv"].trace()).full_convolution
    assert full.spread.shape == (1, 3, 3)
    assert full.padding == ((2, 2), (2, 2)) and full.leftover == (0, 0)
    assert full.padded.shape == (1, 7, 7)
    assert full.kernel.tolist() == [[[[1, 0, 1], [0, 1, 0], [1, 0, 1]]]]
    assert full.crop == ((0, 0), (0, 0))
    assert (
        full.grad_input.tolist() == conv_backward(PRESETS["seed-conv"].trace()).grad_input.tolist()
    )
    assert len(full.trace) == 25


def test_stride_two_preset_leaves_row_and_column_five_at_zero_and_says_why():
    backward = BACKWARD_PRESETS["backprop-stride2"].backward()
    assert backward.upstream.source == "given"
    assert not backward.grad_input[0, 5].any() and not backward.grad_input[0, :, 5].any()
    corner = backward.input_steps[5]
    assert corner.position == (0, 0, 5) and corner.terms == () and corner.value == 0
    assert corner.note.startswith("no window reads this cell, so its gradient is 0: column 5 is")
    overlap = backward.input_steps[2 * 6 + 2]
    assert len(overlap.terms) == 4  # row 2, column 2 lies in all four windows
    full = backward.full_convolution
    assert full.spread.tolist() == [[[1, 0, 2], [0, 0, 0], [-1, 0, 1]]]
    assert full.leftover == (1, 1) and full.padding == ((2, 3), (2, 3))


def test_maxpool_tie_preset_routes_to_the_first_maximum():
    backward = BACKWARD_PRESETS["backprop-maxpool-tie"].backward()
    assert backward.grad_input[0].tolist() == [
        [0, 1, 2, 0],
        [0, 0, 0, 0],
        [3, 0, 4, 0],
        [0, 0, 0, 0],
    ]
    notes = [step.note for step in backward.scatter_steps]
    assert notes[0].startswith("tie: 2 cells hold the maximum 3; the first in row-major order")
    assert notes[3] == ""
    trace = BACKWARD_PRESETS["backprop-maxpool-tie"].trace()
    x = _leaf(trace.input)
    F.max_pool2d(x, 2, 2).backward(torch.tensor([[[1.0, 2.0], [3.0, 4.0]]], dtype=torch.float64))
    assert backward.grad_input.tolist() == x.grad.tolist()


def test_two_filter_preset_shapes_and_bias():
    backward = BACKWARD_PRESETS["backprop-two-filters"].backward()
    assert backward.grad_weight.shape == (2, 2, 2, 2)
    assert backward.grad_bias.tolist() == [9, 9]
    assert backward.grad_input.shape == (2, 4, 4)
    assert backward.grad_input[0].tolist() == [
        [1, 2, 2, 1],
        [2, 4, 4, 2],
        [2, 4, 4, 2],
        [1, 2, 2, 1],
    ]


def test_loss_preset_and_sgd_step():
    preset = BACKWARD_PRESETS["backprop-loss"]
    backward = preset.backward()
    assert backward.upstream.source == "loss" and backward.upstream.note == LOSS_NOTE
    np.testing.assert_array_equal(backward.upstream.values, 2 * backward.forward.output)
    step = preset.sgd()
    assert step is not None and step.loss_name == SUM_OF_SQUARES
    assert step.loss_before == float((backward.forward.output**2).sum())
    assert step.went_down and step.verdict.startswith("the loss went down by")
    assert step.weight_lines()[0] == "w[0,0,0,0]: 1 - 0.02 x 6 = 0.88"
    assert step.weight_lines()[-1] == "b[0]: 0 - 0.02 x 4 = -0.08"


def test_every_backward_preset_builds_and_serialises():
    for preset in BACKWARD_PRESETS.values():
        backward = preset.backward()
        json.dumps(backward.to_dict(), allow_nan=False)
        sgd = preset.sgd()
        if sgd is not None:
            json.dumps(sgd.to_dict(), allow_nan=False)
            assert sgd.went_down


def test_true_convolution_gradient_is_for_the_kernel_as_typed():
    trace = PRESETS["seed-full-conv"].trace()
    backward = conv_backward(trace)
    assert backward.weight_note == FLIP_NOTE
    step = backward.weight_steps[0]
    assert step.position == (0, 0, 0, 0) and step.used_position == (0, 0, 1, 1)
    assert "tap (1, 1)" in step.note
    # in true convolution the full-convolution kernel (flip of the used one) is the typed kernel
    np.testing.assert_array_equal(backward.full_convolution.kernel, trace.kernel)


def test_sgd_step_that_overshoots_says_so():
    backward = conv_backward(conv2d_trace([[1.0, 2.0], [3.0, 4.0]], [[1.0]]), from_loss=True)
    step = sgd_step(backward, 1.0)
    assert not step.went_down
    assert "overshoots" in step.verdict


def test_sgd_step_with_zero_gradient_says_nothing_moves():
    backward = conv_backward(conv2d_trace([[1.0, 2.0]], [[1.0]]), [[0.0, 0.0]])
    step = sgd_step(backward, 0.1)
    assert step.loss_name == LINEAR
    assert step.verdict.startswith("the loss did not change: every gradient is 0")


@pytest.mark.parametrize(
    ("grad", "message"),
    [
        ([[1, 2], [3, 4]], "grad is 2x2 but the output is 3x3 (1 filter): give one dL/dY per "),
        ([1, 2, 3], "grad is 3 long but the output is 3x3 (1 filter)"),
        ([[[1, 2, 3]] * 3] * 2, "grad is 2 x 3x3 but the output is 3x3 (1 filter)"),
    ],
)
def test_bad_grad_shapes_name_the_culprit(grad, message):
    with pytest.raises(StepperError) as error:
        conv_backward(PRESETS["seed-conv"].trace(), grad)
    assert str(error.value).startswith(message)


def test_grad_and_loss_together_are_refused():
    with pytest.raises(StepperError, match="not both"):
        conv_backward(PRESETS["seed-conv"].trace(), np.ones((3, 3)), from_loss=True)


def test_l2_all_zero_window_gets_zero_and_says_why():
    trace = pool2d_trace([[0.0, 0.0, 3.0], [0.0, 0.0, 4.0]], kind="l2", size=2, stride=1)
    backward = pool_backward(trace)
    assert backward.scatter_steps[0].note == ZERO_WINDOW_NOTE
    assert backward.grad_input[0].tolist() == [[0, 0, 0.6], [0, 0, 0.8]]
    x = _leaf(trace.input)
    F.lp_pool2d(x, 2, 2, 1).sum().backward()
    _close(backward.grad_input, x.grad.numpy())


# --- agreement with torch.autograd ----------------------------------------------------------------


@st.composite
def conv_cases(draw, axes):
    channels, filters = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(axes))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(axes))
    padding = draw(
        st.one_of(
            st.integers(0, 2),
            st.tuples(*[st.integers(0, 2)] * axes),
            st.sampled_from(["same", "valid"]),
        )
    )
    stride = (
        (1,) * axes if padding == "same" else tuple(draw(st.integers(1, 3)) for _ in range(axes))
    )
    spans = [d * (k - 1) + 1 for d, k in zip(dilation, kernel, strict=True)]
    size = [draw(st.integers(span, span + 4)) for span in spans]
    return {
        "input": _grid(draw, (channels, *size)),
        "kernel": _grid(draw, (filters, channels, *kernel)),
        "bias": _grid(draw, (filters,)),
        "stride": stride if axes == 2 else stride[0],
        "padding": padding
        if axes == 2 or isinstance(padding, str)
        else np.ravel(padding)[0].item(),
        "dilation": dilation if axes == 2 else dilation[0],
        "mode": draw(st.sampled_from(["correlation", "convolution"])),
    }


def _autograd_conv(case, axes, grad=None):
    x, w, b = _leaf(case["input"]), _leaf(case["kernel"]), _leaf(case["bias"])
    used = w.flip(*range(2, 2 + axes)) if case["mode"] == "convolution" else w
    conv = F.conv2d if axes == 2 else F.conv1d
    y = conv(
        x[None], used, b, stride=case["stride"], padding=case["padding"], dilation=case["dilation"]
    )[0]
    if grad is None:
        (y**2).sum().backward()
    else:
        y.backward(torch.from_numpy(grad))
    return x.grad.numpy(), w.grad.numpy(), b.grad.numpy()


def _check_conv(backward, expected) -> None:
    grad_x, grad_w, grad_b = expected
    _close(backward.grad_input, grad_x)
    _close(backward.grad_weight, grad_w)
    _close(backward.grad_bias, grad_b)
    _close(backward.full_convolution.grad_input, backward.grad_input)
    for step in backward.weight_steps:
        assert step.value == backward.grad_weight[step.position]
    for step in backward.input_steps:
        assert step.value == backward.grad_input[step.position]
        assert bool(step.terms) != bool(step.note)


@PROPERTY
@given(conv_cases(2), st.booleans(), st.data())
def test_conv2d_backward_matches_autograd(case, from_loss, data):
    trace = conv2d_trace(**case)
    grad = None if from_loss else _grid(data.draw, trace.output.shape)
    backward = conv_backward(trace, grad, from_loss=from_loss)
    _check_conv(backward, _autograd_conv(case, 2, grad))


@PROPERTY
@given(conv_cases(1), st.booleans(), st.data())
def test_conv1d_backward_matches_autograd(case, from_loss, data):
    trace = conv1d_trace(case.pop("input"), **case)
    case["input"] = trace.input
    grad = None if from_loss else _grid(data.draw, trace.output.shape)
    backward = conv_backward(trace, grad, from_loss=from_loss)
    _check_conv(backward, _autograd_conv(case, 1, grad))


@settings(max_examples=20, deadline=None)
@given(conv_cases(2))
def test_sgd_step_matches_torch_and_lowers_the_linear_loss(case):
    trace = conv2d_trace(**case)
    backward = conv_backward(trace, np.ones(trace.output.shape))
    step = sgd_step(backward, 0.01)
    _close(step.new_kernel, case["kernel"] - 0.01 * backward.grad_weight)
    moved = {**case, "kernel": step.new_kernel, "bias": step.new_bias}
    _close(step.new_trace.output, conv2d_trace(**moved).output)
    assert step.went_down == bool(backward.grad_weight.any() or backward.grad_bias.any())


@st.composite
def pool_cases(draw, padded=True):
    size = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (
        (draw(st.integers(0, size[0] // 2)), draw(st.integers(0, size[1] // 2)))
        if padded
        else (0, 0)
    )
    shape = [draw(st.integers(k, k + 4)) for k in size]
    return {
        "input": _grid(
            draw, (draw(st.integers(1, 2)), *shape), st.sampled_from([0.0, 1.0, 2.0, -1.0])
        ),
        "size": size,
        "stride": stride,
        "padding": padding,
        "ceil_mode": padded and draw(st.booleans()),
    }


def _autograd_pool(pool, case, grad, **options):
    x = _leaf(case["input"])
    pool(x, case["size"], case["stride"], **options).backward(torch.from_numpy(grad))
    return x.grad.numpy()


@PROPERTY
@given(pool_cases(), st.sampled_from(["max", "avg-in", "avg-out"]), st.data())
def test_pool_backward_matches_autograd(case, kind, data):
    include = kind != "avg-out"
    trace = pool2d_trace(**case, kind=kind[:3], count_include_pad=include)
    grad = _grid(data.draw, trace.output.shape)
    backward = pool_backward(trace, grad)
    options = {"padding": case["padding"], "ceil_mode": case["ceil_mode"]}
    if kind == "max":
        expected = _autograd_pool(F.max_pool2d, case, grad, **options)
    else:
        expected = _autograd_pool(F.avg_pool2d, case, grad, count_include_pad=include, **options)
    _close(backward.grad_input, expected)
    for step in backward.input_steps:
        assert step.value == backward.grad_input[step.position]


@PROPERTY
@given(pool_cases(padded=False), st.data())
def test_l2_pool_backward_matches_autograd(case, data):
    trace = pool2d_trace(**case, kind="l2")
    grad = _grid(data.draw, trace.output.shape)
    backward = backward_for(trace, grad)
    expected = _autograd_pool(lambda x, size, stride: F.lp_pool2d(x, 2, size, stride), case, grad)
    _close(backward.grad_input, expected)
