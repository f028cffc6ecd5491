"""Tests for the tally: the lecture's VGG-16 table, MACs, memory and agreement with torch."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_tui.core.stacks.shapes import StackError
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack import Stack
from cnn_tui.core.stacks.tally import (
    DTYPE_BYTES,
    OPTIMIZER_STATE,
    describe_shape,
    short_bytes,
    short_count,
    tally,
)

PROPERTY = settings(max_examples=50, deadline=None)

VGG16 = (
    "[conv(64,3,p=1) relu]*2 maxpool(2) [conv(128,3,p=1) relu]*2 maxpool(2) "
    "[conv(256,3,p=1) relu]*3 maxpool(2) [conv(512,3,p=1) relu]*3 maxpool(2) "
    "[conv(512,3,p=1) relu]*3 maxpool(2) flatten fc(4096) relu dropout fc(4096) relu dropout "
    "fc(1000)"
)

# The lecture's table: (label, output shape, activations, weights without biases) for every
# conv, pool and fc row, in order.
VGG16_TABLE = [
    ("conv(64,3,p=1)", (64, 224, 224), 3_211_264, 1_728),
    ("conv(64,3,p=1)", (64, 224, 224), 3_211_264, 36_864),
    ("maxpool(2)", (64, 112, 112), 802_816, 0),
    ("conv(128,3,p=1)", (128, 112, 112), 1_605_632, 73_728),
    ("conv(128,3,p=1)", (128, 112, 112), 1_605_632, 147_456),
    ("maxpool(2)", (128, 56, 56), 401_408, 0),
    ("conv(256,3,p=1)", (256, 56, 56), 802_816, 294_912),
    ("conv(256,3,p=1)", (256, 56, 56), 802_816, 589_824),
    ("conv(256,3,p=1)", (256, 56, 56), 802_816, 589_824),
    ("maxpool(2)", (256, 28, 28), 200_704, 0),
    ("conv(512,3,p=1)", (512, 28, 28), 401_408, 1_179_648),
    ("conv(512,3,p=1)", (512, 28, 28), 401_408, 2_359_296),
    ("conv(512,3,p=1)", (512, 28, 28), 401_408, 2_359_296),
    ("maxpool(2)", (512, 14, 14), 100_352, 0),
    ("conv(512,3,p=1)", (512, 14, 14), 100_352, 2_359_296),
    ("conv(512,3,p=1)", (512, 14, 14), 100_352, 2_359_296),
    ("conv(512,3,p=1)", (512, 14, 14), 100_352, 2_359_296),
    ("maxpool(2)", (512, 7, 7), 25_088, 0),
    ("fc(4096)", (4096,), 4_096, 102_760_448),
    ("fc(4096)", (4096,), 4_096, 16_777_216),
    ("fc(1000)", (1000,), 1_000, 4_096_000),
]

BLOCKS = (
    "conv(16,3,p=1) bn relu res[conv(16,3,p=1) bn relu conv(16,3,p=1) bn] "
    "res[conv(32,3,s=2,p=1) bn | conv(32,1,s=2,bias=false) bn] "
    "cat[conv(8,1) | maxpool(3,s=1,p=1) conv(8,1)] dense(2,4) adaptiveavgpool flatten fc(10)"
)


@pytest.fixture(scope="module")
def vgg():
    return tally(Stack(parse_layers(VGG16), (3, 224, 224), name="VGG-16"))


# --- VGG-16, the lecture's table -----------------------------------------------------------------


def test_vgg16_every_row_of_the_lecture_table(vgg) -> None:
    rows = [r for r in vgg.rows if r.kind in ("conv", "maxpool", "fc")]
    assert [(r.label, r.output_shape, r.activations, r.weights) for r in rows] == VGG16_TABLE
    assert all(r.counted for r in rows)
    # biases: one per filter / output feature
    assert [r.biases for r in rows if r.kind != "maxpool"] == (
        [64] * 2 + [128] * 2 + [256] * 3 + [512] * 6 + [4096, 4096, 1000]
    )


def test_vgg16_rows_that_are_not_counted(vgg) -> None:
    assert len(vgg.rows) == 39
    assert vgg.rows == vgg.top_rows
    skipped = [r for r in vgg.rows if not r.counted]
    assert {r.kind for r in skipped} == {"relu", "dropout", "flatten"}
    assert len(skipped) == 39 - 21
    flatten = next(r for r in vgg.rows if r.kind == "flatten")
    assert flatten.number == "32"
    assert flatten.output_shape == (25_088,)
    assert all(r.params == 0 and r.macs == 0 for r in skipped)


def test_vgg16_totals(vgg) -> None:
    t = vgg.totals
    assert t.params == 138_357_544
    assert t.weights == 138_344_128
    assert t.biases == 13_416
    assert t.buffers == 0
    # the input (150,528) plus every conv, pool and fc output: ~15.2 M, not the slide's 24 M
    assert t.activations == 15_237_608
    assert t.activations == 3 * 224 * 224 + sum(a for _, _, a, _ in VGG16_TABLE)
    assert t.weights == sum(w for *_, w in VGG16_TABLE)
    assert t.forward_bytes == 15_237_608 * 4
    assert vgg.output_shape == (1000,)
    assert vgg.error is None
    assert vgg.name == "VGG-16"
    assert vgg.input_shape == (3, 224, 224)
    assert (vgg.batch, vgg.dtype, vgg.optimizer) == (1, "fp32", "sgd")


def test_vgg16_peaks(vgg) -> None:
    # the lecture: most memory in the early convs, most parameters in the late fc layers
    assert vgg.memory_peak is vgg.rows[0]
    assert vgg.memory_peak.label == "conv(64,3,p=1)"
    assert vgg.params_peak.number == "33"
    assert vgg.params_peak.label == "fc(4096)"
    assert vgg.params_peak.params == 102_764_544


def test_vgg16_macs(vgg) -> None:
    first = vgg.rows[0]
    assert first.macs == 224 * 224 * 64 * 3 * 3 * 3 == 86_704_128
    assert vgg.rows[2].macs == 224 * 224 * 64 * 3 * 3 * 64
    assert vgg.params_peak.macs == 25_088 * 4096
    assert vgg.totals.macs == 15_470_264_320


# --- MACs and memory -----------------------------------------------------------------------------


def test_macs_small_example() -> None:
    t = tally(parse_layers("conv(4,3) relu maxpool(2) conv(6,3,p=1,g=2) flatten fc(5)"), (2, 6, 6))
    assert [r.output_shape for r in t.rows] == [
        (4, 4, 4),
        (4, 4, 4),
        (4, 2, 2),
        (6, 2, 2),
        (24,),
        (5,),
    ]
    # conv: output elements * k*k*Cin/groups; linear: in * out; the rest: 0
    assert [r.macs for r in t.rows] == [64 * 9 * 2, 0, 0, 24 * 9 * 2, 0, 24 * 5]
    assert t.totals.macs == 1152 + 432 + 120
    assert [r.params for r in t.rows] == [4 * 18 + 4, 0, 0, 6 * 18 + 6, 0, 24 * 5 + 5]
    assert t.totals.activations == 72 + 64 + 16 + 24 + 5


@PROPERTY
@given(
    size=st.integers(3, 12),
    cin_per=st.integers(1, 3),
    cout_per=st.integers(1, 3),
    groups=st.integers(1, 3),
    kernel=st.integers(1, 3),
    stride=st.integers(1, 2),
    bias=st.booleans(),
)
def test_conv_macs_formula(size, cin_per, cout_per, groups, kernel, stride, bias) -> None:
    cin, cout = cin_per * groups, cout_per * groups
    spec = f"conv({cout},{kernel},s={stride},g={groups},bias={str(bias).lower()})"
    (row,) = tally(parse_layers(spec), (cin, size, size)).rows
    side = (size - kernel) // stride + 1
    assert row.output_shape == (cout, side, side)
    assert row.macs == cout * side * side * kernel * kernel * cin_per
    assert row.weights == kernel * kernel * cin_per * cout
    assert row.biases == (cout if bias else 0)


@pytest.mark.parametrize("dtype", sorted(DTYPE_BYTES))
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZER_STATE))
def test_memory_formulas(dtype, optimizer) -> None:
    layers = parse_layers("conv(4,3) relu flatten fc(5) dropout")
    t = tally(layers, (2, 6, 6), batch=8, dtype=dtype, optimizer=optimizer)
    size = DTYPE_BYTES[dtype]
    params = (4 * 18 + 4) + (64 * 5 + 5)
    assert t.totals.params == params
    # input 72, conv 64, fc 5 (relu, flatten and dropout not counted)
    assert t.totals.activations == 72 + 64 + 5
    # saved for backward: the input (read by the conv) and the relu's output (read by the relu
    # and, through the flatten view, by the fc); the dropout keeps only its one-byte GPU mask
    assert t.totals.saved_activations == 72 + 64
    assert t.totals.forward_bytes == 8 * 141 * size
    assert t.totals.saved_bytes == 8 * (136 * size + 5)
    assert t.totals.parameter_bytes == params * size
    assert t.totals.gradient_bytes == params * size
    state = {"sgd": 0, "momentum": 1, "nesterov": 1, "adagrad": 1, "rmsprop": 1}
    copies = state.get(optimizer, 2)
    assert t.totals.optimizer_bytes == copies * params * size
    scratch = {"adam": 1, "adamw": 1, "rmsprop": 1, "adagrad": 2}.get(optimizer, 0)
    assert t.totals.scratch_bytes == scratch * params * size
    # activations are freed before the optimizer step builds its scratch: the larger one counts
    peak_extra = max(8 * (136 * size + 5), scratch * params * size)
    assert t.totals.training_bytes == peak_extra + (2 + copies) * params * size
    assert t.row_bytes(t.rows[0]) == 64 * 8 * size


def test_optimizer_state_copies() -> None:
    assert OPTIMIZER_STATE["sgd"] == 0
    assert OPTIMIZER_STATE["momentum"] == 1
    assert OPTIMIZER_STATE["adam"] == 2
    assert OPTIMIZER_STATE["adamw"] == 2
    assert DTYPE_BYTES == {"fp32": 4, "fp16": 2, "bf16": 2, "fp64": 8}
    layers = parse_layers("fc(10)")
    sgd = tally(layers, (100,), optimizer="sgd").totals
    adam = tally(layers, (100,), optimizer="adam").totals
    momentum = tally(layers, (100,), optimizer="momentum").totals
    assert sgd.params == 1010
    assert adam.optimizer_bytes - sgd.optimizer_bytes == 2 * 1010 * 4
    assert momentum.training_bytes - sgd.training_bytes == 1010 * 4
    # one input image (400 bytes, kept by the fc) is smaller than Adam's square-root scratch
    assert sgd.saved_bytes == 100 * 4
    assert adam.training_bytes - sgd.training_bytes == 2 * 1010 * 4 + (1010 - 100) * 4


def test_vgg16_training_memory(vgg) -> None:
    t = tally(Stack(parse_layers(VGG16), (3, 224, 224)), batch=32, dtype="fp16", optimizer="adam")
    # the lecture's sum has the input and every conv, pool and fc output; the backward keeps the
    # relu outputs in place of the conv and fc outputs (the same sizes), not the last fc's 1000,
    # but also the two dropout outputs (read by the next fc)
    saved = 15_237_608 - 1_000 + 2 * 4_096
    assert t.totals.saved_activations == saved == 15_244_800
    assert t.totals.forward_bytes == 32 * 15_237_608 * 2
    # int64 indices for every max-pool output, a one-byte mask for every dropout element
    indices = sum(r.activations for r in vgg.rows if r.kind == "maxpool")
    assert indices == 1_530_368
    saved_bytes = 32 * (saved * 2 + indices * 8 + 2 * 4_096)
    assert t.totals.saved_bytes == saved_bytes
    assert t.totals.training_bytes == saved_bytes + 4 * 138_357_544 * 2


def test_to_dict_is_json(vgg) -> None:
    data = json.loads(json.dumps(vgg.to_dict()))
    assert data["name"] == "VGG-16"
    assert data["input_shape"] == [3, 224, 224]
    assert data["output_shape"] == [1000]
    assert data["error"] is None
    assert len(data["layers"]) == 39
    first = data["layers"][0]
    for key in ("name", "output_shape", "activations", "params", "weights", "biases", "macs"):
        assert key in first
    assert first["name"] == "conv(64,3,p=1)"
    assert first["output_shape"] == [64, 224, 224]
    assert first["activations"] == 3_211_264
    assert first["params"] == 1_792
    assert first["weights"] == 1_728
    assert first["biases"] == 64
    assert first["macs"] == 86_704_128
    assert first["memory_bytes"] == 3_211_264 * 4
    totals = data["totals"]
    assert totals["params"] == 138_357_544
    assert totals["weights"] == 138_344_128
    assert totals["biases"] == 13_416
    assert totals["activations"] == 15_237_608
    assert totals["macs"] == 15_470_264_320
    assert totals["forward_bytes"] == 60_950_432
    assert totals["training_bytes"] == vgg.totals.training_bytes


# --- blocks --------------------------------------------------------------------------------------


def test_block_rows_roll_up_their_children() -> None:
    t = tally(Stack(parse_layers(BLOCKS), (3, 32, 32)))
    by_number = {r.number: r for r in t.rows}
    res = by_number["4"]
    assert res.is_block
    assert res.weights == 2 * 2304 + 2 * 16
    assert res.biases == 2 * 16 + 2 * 16
    assert res.buffers == 2 * 32
    assert res.macs == 2 * 16 * 32 * 32 * 9 * 16
    projection = by_number["5"]
    assert projection.params == (4608 + 32) + 64 + 512 + 64
    assert by_number["5.2.1"].biases == 0
    dense = by_number["7"]
    assert dense.output_shape == (24, 16, 16)
    assert dense.weights == sum(
        by_number[f"7.{b}.{i}"].weights for b in (1, 2) for i in range(1, 7)
    )
    # block rows hold sums; totals count each leaf once
    leaves = [r for r in t.rows if not r.is_block]
    assert t.totals.params == sum(r.params for r in leaves) == 13_106
    assert t.totals.buffers == 360
    assert t.output_shape == (10,)
    assert len(t.top_rows) == 10
    assert [r.depth for r in t.rows if r.number.count(".")] == [1] * 24


# --- failing stacks ------------------------------------------------------------------------------


def test_failing_stack_stops_before_the_layer() -> None:
    spec = "conv(20,5) relu maxpool(2) conv(50,5) relu maxpool(2) conv(50,5) relu"
    t = tally(parse_layers(spec), (1, 28, 28))
    assert [r.number for r in t.rows] == ["1", "2", "3", "4", "5", "6"]
    assert t.output_shape is None
    assert t.error is not None
    assert t.error.describe() == "layer 7 conv(50,5): input is 4x4, smaller than the 5x5 kernel"
    assert t.totals.params == 520 + 25_050
    assert t.totals.activations == 784 + 20 * 24 * 24 + 20 * 12 * 12 + 50 * 8 * 8 + 50 * 4 * 4
    data = json.loads(json.dumps(t.to_dict()))
    assert data["output_shape"] is None
    assert data["error"] == "layer 7 conv(50,5): input is 4x4, smaller than the 5x5 kernel"
    assert describe_shape(t.output_shape) == "-"
    assert describe_shape((3, 224, 224)) == "3x224x224"


def test_failing_block_leaves_no_rows_for_it() -> None:
    t = tally(parse_layers("conv(8,3) res[conv(16,3,p=1)] relu"), (1, 10, 10))
    assert [r.number for r in t.rows] == ["1"]
    assert t.error.path == (2,)
    assert t.output_shape is None


def test_fc_before_flatten() -> None:
    t = tally(parse_layers("conv(4,3) fc(10)"), (1, 8, 8))
    assert t.error.describe() == (
        "layer 2 fc(10): fc needs a feature vector, got a 4x6x6 map; add flatten first"
    )
    assert [r.number for r in t.rows] == ["1"]
    assert t.memory_peak.number == "1"
    assert t.params_peak.number == "1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch": 0}, "batch size must be at least 1, got 0"),
        ({"dtype": "int8"}, "dtype must be one of fp32, fp16, bf16, fp64, got 'int8'"),
        (
            {"optimizer": "lbfgs"},
            "optimizer must be one of sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw, "
            "got 'lbfgs'",
        ),
    ],
)
def test_bad_settings(kwargs, message) -> None:
    with pytest.raises(StackError) as info:
        tally(parse_layers("relu"), (1, 4, 4), **kwargs)
    assert str(info.value) == message


def test_needs_an_input_shape() -> None:
    with pytest.raises(StackError, match=r"^an input shape is needed, e\.g\. 3x224x224$"):
        tally(parse_layers("relu"))
    stack = Stack(parse_layers("conv(4,3)"), (1, 8, 8))
    assert tally(stack).rows[0].output_shape == (4, 6, 6)
    assert tally(stack, (1, 10, 10)).rows[0].output_shape == (4, 8, 8)


def test_peaks_of_parameter_free_stack() -> None:
    t = tally(parse_layers("relu flatten"), (1, 4, 4))
    assert t.memory_peak is None
    assert t.params_peak is None
    assert t.totals.activations == 16
    # no parameters and an input that needs no gradient: autograd records nothing
    assert t.totals.saved_activations == 0
    assert t.totals.saved_bytes == 0


def test_identity_adaptive_pool_not_counted() -> None:
    t = tally(parse_layers("adaptiveavgpool(7) adaptiveavgpool(1)"), (512, 7, 7))
    assert [r.counted for r in t.rows] == [False, True]
    assert t.totals.activations == 512 * 49 + 512


# --- agreement with torch ------------------------------------------------------------------------


def test_params_match_torch_modules() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    spec = (
        "conv(16,3,p=1) bn relu conv(32,3,s=2,g=4,bias=false) bn relu maxpool(2) "
        "conv(32,3,p=1,g=32) flatten fc(64) bn1d relu dropout fc(10,bias=false)"
    )
    modules = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, groups=4, bias=False),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1, groups=32),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 64),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Dropout(),
        nn.Linear(64, 10, bias=False),
    )
    t = tally(parse_layers(spec), (3, 32, 32))
    assert t.error is None
    assert t.totals.params == sum(p.numel() for p in modules.parameters())
    assert t.totals.weights == sum(
        p.numel() for n, p in modules.named_parameters() if "weight" in n
    )
    assert t.totals.biases == sum(p.numel() for n, p in modules.named_parameters() if "bias" in n)
    for row, module in zip(t.rows, modules, strict=True):
        assert row.params == sum(p.numel() for p in module.parameters()), row.label
        stats = [b.numel() for n, b in module.named_buffers() if n.startswith("running_")]
        assert row.buffers == sum(stats), row.label
    # batch norm keeps a running mean and a running variance per channel
    assert t.rows[1].buffers == 2 * 16
    assert t.totals.buffers == 2 * (16 + 32 + 64)
    with torch.no_grad():
        out = modules.eval()(torch.zeros(1, 3, 32, 32))
    assert tuple(out.shape[1:]) == t.output_shape


def test_vgg16_params_match_torch() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    # count parameters without allocating 138 M floats: meta tensors have shapes only
    with torch.device("meta"):
        layers = []
        cin = 3
        for cout, repeat in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
            for _ in range(repeat):
                layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]
                cin = cout
            layers.append(nn.MaxPool2d(2))
        layers += [
            nn.Flatten(),
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(),
            nn.Dropout(),
            nn.Linear(4096, 4096),
            nn.ReLU(),
            nn.Dropout(),
            nn.Linear(4096, 1000),
        ]
        model = nn.Sequential(*layers)
    assert sum(p.numel() for p in model.parameters()) == 138_357_544
    t = tally(parse_layers(VGG16), (3, 224, 224))
    for row, module in zip(t.rows, model, strict=True):
        assert row.params == sum(p.numel() for p in module.parameters()), row.label


# --- number formatting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (138_357_544, "138.4 M"),
        (15_237_608, "15.2 M"),
        (1_728, "1.7 K"),
        (1_000, "1.0 K"),
        (999, "999"),
        (0, "0"),
        (-2_500, "-2.5 K"),
        (15_470_264_320, "15.5 G"),
        (3 * 10**12, "3.0 T"),
    ],
)
def test_short_count(value, text) -> None:
    assert short_count(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (60_950_432, "58.1 MiB"),
        (1_288_490_188, "1.2 GiB"),
        (1024**4, "1.0 TiB"),
        (1536, "1.5 KiB"),
    ],
)
def test_short_bytes(value, text) -> None:
    assert short_bytes(value) == text


def test_short_formats_round_into_the_next_unit() -> None:
    assert short_count(999_950) == "1.0 M"
    assert short_bytes(1024 * 1024 - 1) == "1.0 MiB"


@PROPERTY
@given(value=st.integers(0, 10**15))
def test_short_count_is_close(value) -> None:
    text = short_count(value)
    if value < 1000:
        assert text == str(value)
        return
    number, unit = text.split(" ")
    scale = {"K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}[unit]
    assert math.isclose(float(number) * scale, value, abs_tol=0.05 * scale)
