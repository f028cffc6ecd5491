"""Limits that keep bad stacks to one clear message: nesting depth, non-finite numbers, huge
sizes, a BOM, and the short forms of very large tallies."""

from __future__ import annotations

import json
import math

import pytest

from cnn_tui.core.stacks.blocks import format_layers
from cnn_tui.core.stacks.layer_settings import coerce
from cnn_tui.core.stacks.layers import LeakyReLU, LocalResponseNorm, ReLU
from cnn_tui.core.stacks.shapes import MAX_NESTING, StackError, parse_shape
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack import Stack, nesting_depth, row_count
from cnn_tui.core.stacks.stack_file import load_stack, loads_stack, save_stack
from cnn_tui.core.stacks.tally import short_bytes, short_count, tally
from cnn_tui.core.stacks.torch_bridge import export_source
from cnn_tui.core.stacks.zoo import PRESETS, resolve_stack


def nested_spec(levels: int) -> str:
    return "res[" * levels + "relu" + "]" * levels


def nested_dict(levels: int) -> dict:
    layer: dict = {"type": "relu"}
    for _ in range(levels):
        layer = {"type": "res", "body": [layer]}
    return layer


def stack_text(layers: list, shape: str = "1x28x28") -> str:
    return json.dumps({"format": "cnn-tui-stack", "version": 1, "input": shape, "layers": layers})


# --- nesting -------------------------------------------------------------------------------------


def test_the_zoo_nests_far_less_than_the_limit():
    assert MAX_NESTING == 16
    assert max(nesting_depth(resolve_stack(name).layers) for name in PRESETS) == 1
    assert nesting_depth(resolve_stack("resnet18").layers) == 1
    assert nesting_depth(parse_layers("conv(4,3) relu")) == 0


def test_a_spec_nested_to_the_limit_parses_and_round_trips(tmp_path):
    layers = parse_layers(nested_spec(16))
    assert nesting_depth(layers) == 16
    assert parse_layers(format_layers(layers)) == layers
    result = tally(Stack(layers, (1, 28, 28)))
    assert result.error is None and result.output_shape == (1, 28, 28)
    assert len(result.rows) == 17
    path = tmp_path / "deep.json"
    save_stack(Stack(layers, (1, 28, 28), "deep"), path)
    assert load_stack(path).layers == layers


def test_a_spec_nested_past_the_limit_names_the_column():
    with pytest.raises(StackError) as info:
        parse_layers(nested_spec(17))
    assert str(info.value) == "column 65: blocks and [groups] nested more than 16 levels deep"
    assert info.value.pointer().splitlines()[1] == " " * 64 + "^"


@pytest.mark.parametrize(
    ("spec", "column"),
    [
        (nested_spec(200), 65),  # a RecursionError in label() before
        ("[" * 1000 + "relu" + "]" * 1000, 17),
        ("cat[" * 16 + "dense(2,4)" + "]" * 16, 65),
        ("[" * 10 + "res[" * 7 + "relu" + "]" * 17, 35),
    ],
    ids=["res 200 deep", "groups 1000 deep", "cat 16 deep and a dense", "groups around res"],
)
def test_deep_specs_are_refused_not_a_recursion_error(spec, column):
    with pytest.raises(StackError) as info:
        parse_layers(spec)
    assert info.value.column == column
    assert info.value.reason == "blocks and [groups] nested more than 16 levels deep"


def test_a_stack_file_nested_past_the_limit_names_the_file_line_and_layer(tmp_path):
    path = tmp_path / "d300.json"
    path.write_text(stack_text([{"type": "relu"}, nested_dict(300)]).replace("}, {", "},\n{", 1))
    with pytest.raises(StackError) as info:
        load_stack(path)
    assert str(info.value) == f"{path}, line 2: layer 2: blocks nested more than 16 levels deep"
    ok = tmp_path / "d16.json"
    ok.write_text(stack_text([nested_dict(16)]))
    assert nesting_depth(load_stack(ok).layers) == 16
    deep = tmp_path / "d17.json"
    deep.write_text(stack_text([nested_dict(17)]))
    with pytest.raises(StackError, match=r"line 1: layer 1: blocks nested more than 16 levels"):
        load_stack(deep)


def test_a_dense_or_cat_block_counts_as_a_level_in_a_file(tmp_path):
    inner: dict = {"type": "dense", "layers": 1, "growth": 2}
    for _ in range(16):
        inner = {"type": "cat", "branches": [[inner]]}
    path = tmp_path / "cat.json"
    path.write_text(stack_text([inner], "4x8x8"))
    with pytest.raises(StackError) as info:
        load_stack(path)
    assert str(info.value) == f"{path}, line 1: layer 1: blocks nested more than 16 levels deep"


def test_json_nested_too_deeply_to_decode_is_a_corrupt_file(tmp_path):
    path = tmp_path / "deepjson.json"
    text = stack_text([{"type": "relu"}]).replace(
        '"layers": ', '"junk": ' + "[" * 5000 + "]" * 5000 + ', "layers": '
    )
    path.write_text(text)
    before = path.read_bytes()
    with pytest.raises(StackError) as info:
        load_stack(path)
    assert str(info.value) == (
        f"{path}: nested too deeply to read (a stack nests blocks at most 16 levels deep)"
    )
    assert path.read_bytes() == before


# --- non-finite numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("leakyrelu(nan)", "column 11: leakyrelu slope: expected a finite number, got 'nan'"),
        ("leakyrelu(inf)", "column 11: leakyrelu slope: expected a finite number, got 'inf'"),
        (
            "relu leakyrelu(slope=inf)",
            "column 22: leakyrelu slope: expected a finite number, got 'inf'",
        ),
        ("dropout(nan)", "column 9: dropout p: expected a finite number, got 'nan'"),
        ("lrn(alpha=1e999)", "column 11: lrn alpha: expected a finite number, got '1e999'"),
        ("bn(eps=NaN)", "column 8: bn eps: expected a finite number, got 'NaN'"),
        (
            "dense(2,4,drop_rate=inf)",
            "column 21: dense drop_rate: expected a finite number, got 'inf'",
        ),
    ],
)
def test_non_finite_numbers_are_refused_in_a_spec(spec, message):
    with pytest.raises(StackError) as info:
        parse_layers(spec)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (
            '{"type": "leakyrelu", "slope": Infinity}',
            "layer 2 (leakyrelu) slope: expected a finite number, got inf",
        ),
        (
            '{"type": "leakyrelu", "slope": NaN}',
            "layer 2 (leakyrelu) slope: expected a finite number, got nan",
        ),
        (
            '{"type": "dropout", "p": -Infinity}',
            "layer 2 (dropout) p: expected a finite number, got -inf",
        ),
        ('{"type": "lrn", "k": "nan"}', "layer 2 (lrn) k: expected a finite number, got 'nan'"),
    ],
)
def test_non_finite_numbers_are_refused_in_a_file(layer, message):
    text = (
        '{"format": "cnn-tui-stack", "input": "1x28x28", "layers": [\n{"type": "relu"},\n'
        + layer
        + "\n]}"
    )
    with pytest.raises(StackError) as info:
        loads_stack(text, "net.json")
    assert str(info.value) == f"net.json, line 3: {message}"


def test_export_never_writes_nan_or_inf():
    # built by hand, past the parsers: the exporter still refuses, naming the layer
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(StackError) as info:
            export_source([ReLU(), LeakyReLU(value)], (1, 4, 4))
        assert (
            str(info.value)
            == f"layer 2 leakyrelu({value}): slope must be a finite number, not {value}"
        )
    with pytest.raises(StackError, match=r"^layer 1 lrn\(beta=nan\): beta must be a finite"):
        export_source([LocalResponseNorm(beta=math.nan)], (4, 4, 4))


# --- sizes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "conv(99999999999999999999,3)",
            "column 6: conv out_channels: must be at most 1,000,000, got 99999999999999999999",
        ),
        ("conv(8,1000001)", "column 8: conv kernel: must be at most 1,000,000, got 1000001"),
        (
            "fc(" + "9" * 5000 + ")",
            "column 4: fc out_features: must be at most 1,000,000, got " + "9" * 27 + "...",
        ),
        (
            "conv(8,3,p=-" + "9" * 5000 + ")",
            "column 12: conv padding: must be at least 0, got -" + "9" * 26 + "...",
        ),
    ],
    ids=["20 digits", "kernel", "5000 digits", "negative 5000 digits"],
)
def test_huge_layer_sizes_are_refused(spec, message):
    with pytest.raises(StackError) as info:
        parse_layers(spec)
    assert str(info.value) == message


def test_a_dense_block_takes_at_most_a_thousand_layers():
    assert parse_layers("dense(1000,1)")[0].layers == 1000
    with pytest.raises(StackError) as info:
        parse_layers("dense(1000000,1)")
    assert str(info.value) == "column 7: dense layers: must be at most 1,000, got 1000000"


def test_row_count_matches_the_tally_without_walking_repeats():
    for name in ("resnet152", "densenet121", "googlenet", "vgg16", "seed-mnist"):
        stack = resolve_stack(name)
        assert row_count(stack.layers) == len(tally(stack).rows), name
    block = parse_layers("res[relu*9000]")[0]
    assert row_count((block,) * 9000) == 81_009_000  # counted once per distinct block
    assert row_count(parse_layers("dense(1000,1)")) == 6001


def test_a_short_spec_with_too_many_rows_is_refused_by_the_parser():
    with pytest.raises(StackError) as info:
        parse_layers("res[relu*9000]*9000")
    assert str(info.value) == (
        "81,009,000 layers (blocks counted with their insides); a stack holds at most 10,000"
    )


def test_the_largest_size_is_accepted():
    assert parse_layers("fc(1000000)")[0].out_features == 1_000_000
    assert coerce("out_channels", 1_000_000) == 1_000_000
    with pytest.raises(ValueError, match=r"^must be at most 1,000,000, got 1000001$"):
        coerce("out_channels", 1_000_001)
    assert parse_shape("3x1000000x1000000") == (3, 1_000_000, 1_000_000)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3x1000001x2", "input shape '3x1000001x2': each side must be at most 1,000,000"),
        (
            "3x" + "9" * 5000,
            "input shape '3x9999999999999999999999999...': each side must be at most 1,000,000",
        ),
        ("3xtenx10", "input shape '3xtenx10' is not like 3x224x224 or 784"),
    ],
)
def test_huge_input_shapes_are_refused(text, message):
    with pytest.raises(StackError) as info:
        parse_shape(text)
    assert str(info.value) == message


def test_short_forms_scale_past_tera():
    assert short_count(10**12) == "1.0 T"
    assert short_count(999_950_000_000_000) == "1.0 P"
    assert short_count(2 * 10**18) == "2.0 E"
    assert short_count(10**24) == "1.0 Y"
    assert short_bytes(2**50) == "1.0 PiB"
    assert short_bytes(3 * 2**60) == "3.0 EiB"
    result = tally(resolve_stack("flatten fc(1000000)", (1000, 1000, 1000)))
    assert result.totals.params == 10**15 + 10**6
    assert short_count(result.totals.params) == "1.0 P"


# --- a BOM ---------------------------------------------------------------------------------------


def test_a_stack_file_with_a_utf8_bom_loads(tmp_path):
    path = tmp_path / "notepad.json"
    path.write_bytes(
        b"\xef\xbb\xbf" + stack_text([{"type": "conv", "out_channels": 4, "kernel": 3}]).encode()
    )
    stack = load_stack(path)
    assert stack.spec == "conv(4,3)"
    assert stack.name == "notepad"
    assert loads_stack("\ufeff" + stack_text([{"type": "relu"}])).spec == "relu"


def test_numbers_with_thousands_of_digits_in_a_file_are_one_message():
    huge = "9" * 5000
    text = '{"input": "1x4x4", "layers": [{"type": "relu", "x": ' + huge + "}]}"
    with pytest.raises(StackError) as info:
        loads_stack(text, "net.json")
    assert str(info.value) == "net.json: holds a number with thousands of digits"
    text = '{"input": "1x4x4", "layers": [\n{"type": "leakyrelu", "slope": ' + "9" * 400 + "}]}"
    with pytest.raises(StackError) as info:
        loads_stack(text, "net.json")
    assert str(info.value) == (
        "net.json, line 2: layer 1 (leakyrelu) slope: expected a finite number, got "
        + "9" * 27
        + "..."
    )
