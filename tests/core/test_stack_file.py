"""Tests for stack files: round trips, atomic writes, and corrupt files reported with a line."""

from __future__ import annotations

import json
import os

import pytest

from cnn_tui.core.safe_files import write_atomic
from cnn_tui.core.stacks.shapes import StackError
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack import Stack
from cnn_tui.core.stacks.stack_file import dumps_stack, load_stack, loads_stack, save_stack

LECTURE_MNIST = "conv(20,5) relu maxpool(2) conv(50,5) relu maxpool(2) flatten fc(500) relu fc(10)"
BLOCKS = (
    "conv(16,3,p=1) bn relu res[conv(16,3,p=1) bn relu conv(16,3,p=1) bn] "
    "res[conv(32,3,s=2,p=1) bn | conv(32,1,s=2,bias=false) bn] "
    "cat[conv(8,1) | maxpool(3,s=1,p=1) conv(8,1)] dense(2,4,drop_rate=0.1) adaptiveavgpool "
    "flatten dropout(0.25) fc(10,bias=false) logsoftmax"
)

GOOD = """{
  "format": "cnn-tui-stack",
  "version": 1,
  "name": "mnist",
  "input": "1x28x28",
  "layers": [
    {"type": "conv", "out_channels": 20, "kernel": 5},
    {"type": "relu"},
    LAYER3
  ]
}
"""


def _corrupt(tmp_path, text: str, name: str = "bad.json") -> tuple[StackError, str]:
    """Load a broken file; return the error and check the file was not touched."""
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    before = os.stat(path)
    with pytest.raises(StackError) as info:
        load_stack(path)
    assert path.read_bytes() == text.encode("utf-8")
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    return info.value, str(path)


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "shape", "name", "description"),
    [
        (LECTURE_MNIST, (1, 28, 28), "mnist", ""),
        (BLOCKS, (3, 32, 32), "blocks", 'a "quoted" description\nover two lines'),
        ("conv(8,3,s=2,p=same,d=2,g=2,bias=false) leakyrelu(0.2)", (4, 9, 9), "odd", "ünïcode ✓"),
        ("bn1d fc(10)", (784,), "vector", ""),
    ],
)
def test_save_load_round_trip(tmp_path, spec, shape, name, description) -> None:
    stack = Stack(parse_layers(spec), shape, name=name, description=description)
    path = save_stack(stack, tmp_path / "nets" / f"{name}.json")
    assert path == tmp_path / "nets" / f"{name}.json"
    loaded = load_stack(path)
    assert loaded == stack
    assert loaded.spec == spec
    assert loads_stack(dumps_stack(stack)) == stack
    # the file is plain JSON
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "cnn-tui-stack"
    assert data["version"] == 1
    assert data["input"] == "x".join(str(s) for s in shape)
    assert len(data["layers"]) == len(stack.layers)


def test_file_text_has_one_top_level_layer_per_line(tmp_path) -> None:
    stack = Stack(parse_layers(BLOCKS), (3, 32, 32), name="blocks")
    path = save_stack(stack, tmp_path / "blocks.json")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:5] == [
        "{",
        '  "format": "cnn-tui-stack",',
        '  "version": 1,',
        '  "name": "blocks",',
        '  "input": "3x32x32",',
    ]
    assert lines[5] == '  "layers": ['
    assert lines[-2:] == ["  ]", "}"]
    layer_lines = lines[6:-2]
    assert len(layer_lines) == len(stack.layers) == 12
    for line, layer in zip(layer_lines, stack.layers, strict=True):
        assert line.startswith("    {")
        assert json.loads(line.strip().rstrip(",")) == layer.to_dict()
    assert [line.endswith(",") for line in layer_lines] == [True] * 11 + [False]
    assert layer_lines[0] == '    {"type": "conv", "out_channels": 16, "kernel": 3, "padding": 1},'
    assert path.read_text(encoding="utf-8").endswith("}\n")


def test_description_line_only_when_given() -> None:
    plain = dumps_stack(Stack(parse_layers("relu"), (1, 2, 2), name="p"))
    assert '"description"' not in plain
    described = dumps_stack(Stack(parse_layers("relu"), (1, 2, 2), name="p", description="d"))
    assert '  "description": "d",' in described.splitlines()


def test_name_defaults_to_the_file_stem(tmp_path) -> None:
    path = save_stack(Stack(parse_layers("relu"), (1, 4, 4)), tmp_path / "my-net.json")
    assert json.loads(path.read_text(encoding="utf-8"))["name"] == ""
    assert load_stack(path).name == "my-net"
    assert load_stack(str(path)).name == "my-net"


def test_save_overwrites_atomically(tmp_path) -> None:
    path = tmp_path / "net.json"
    first = Stack(parse_layers("relu"), (1, 4, 4), name="first")
    second = Stack(parse_layers(LECTURE_MNIST), (1, 28, 28), name="second")
    save_stack(first, path)
    save_stack(second, path)
    assert load_stack(path) == second
    # no temporary file is left beside the target
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside").write_text("keep", encoding="utf-8")
    with pytest.raises(OSError):
        write_atomic(target, "new text")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
    assert (target / "inside").read_text(encoding="utf-8") == "keep"


def test_write_atomic_creates_parents(tmp_path) -> None:
    target = tmp_path / "a" / "b" / "c.txt"
    write_atomic(target, "hello\n")
    assert target.read_text(encoding="utf-8") == "hello\n"
    assert [p.name for p in target.parent.iterdir()] == ["c.txt"]


# --- corrupt files -------------------------------------------------------------------------------


def test_good_template_loads(tmp_path) -> None:
    path = tmp_path / "good.json"
    path.write_text(GOOD.replace("LAYER3", '{"type": "flatten"}'), encoding="utf-8")
    stack = load_stack(path)
    assert stack.spec == "conv(20,5) relu flatten"
    assert stack.input_shape == (1, 28, 28)
    assert stack.name == "mnist"


def test_bad_json_names_file_and_line(tmp_path) -> None:
    error, where = _corrupt(tmp_path, GOOD.replace("LAYER3", '{"type": "flatten"'))
    assert str(error) == f"{where}, line 10: Expecting ',' delimiter (column 3)"


def test_empty_file(tmp_path) -> None:
    error, where = _corrupt(tmp_path, "")
    assert str(error) == f"{where}, line 1: Expecting value (column 1)"


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (
            '{"type": "conv", "out_channels": "many", "kernel": 5}',
            "layer 3 (conv) out_channels: expected a whole number, got 'many'",
        ),
        (
            '{"type": "conv", "out_channels": [1], "kernel": 5}',
            "layer 3 (conv) out_channels: expected a whole number, got [1]",
        ),
        (
            '{"type": "conv", "out_channels": null, "kernel": 5}',
            "layer 3 (conv) out_channels: expected a whole number, got None",
        ),
        (
            '{"type": "maxpool", "kernel": 2, "ceil_mode": "sometimes"}',
            "layer 3 (maxpool) ceil_mode: expected true or false, got 'sometimes'",
        ),
        ('{"type": "dropout", "p": "abc"}', "layer 3 (dropout) p: expected a number, got 'abc'"),
        ('{"type": "warp"}', "layer 3: unknown layer type 'warp'"),
        ('"relu"', "layer 3: expected an object with a 'type'"),
        ('{"type": "conv", "kernel": 5}', "layer 3 (conv): missing out_channels"),
        (
            '{"type": "conv", "out_channels": 3, "kernel": 5, "colour": 1}',
            "layer 3 (conv): unknown setting 'colour'",
        ),
        ('{"type": "res", "body": []}', "layer 3: res needs a non-empty body"),
        (
            '{"type": "res", "body": [{"type": "warp"}]}',
            "layer 3.body[0]: unknown layer type 'warp'",
        ),
        ('{"type": "cat", "branches": 3}', "layer 3: cat needs a list of branches"),
    ],
)
def test_bad_layer_names_file_and_line(tmp_path, layer, message) -> None:
    error, where = _corrupt(tmp_path, GOOD.replace("LAYER3", layer))
    assert str(error) == f"{where}, line 9: {message}"


def test_bad_first_layer_line(tmp_path) -> None:
    text = GOOD.replace('{"type": "relu"}', '{"type": "relu", "inplace": true}').replace(
        "LAYER3", '{"type": "flatten"}'
    )
    error, where = _corrupt(tmp_path, text)
    assert str(error) == f"{where}, line 8: layer 2 (relu): unknown setting 'inplace'"


def test_layers_on_one_line_still_get_a_line(tmp_path) -> None:
    text = '{"input": "1x4x4",\n "layers": [{"type": "relu"}, {"type": "fc"}]}\n'
    error, where = _corrupt(tmp_path, text)
    assert str(error) == f"{where}, line 2: layer 2 (fc): missing out_features"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('"layers": [', '"layerz": ['), "'layers' must be a non-empty list"),
        (
            lambda t: t.replace('"layers": [', '"layers": {"a": [').replace("  ]\n}", "  ]}\n}"),
            "'layers' must be a non-empty list",
        ),
        (
            lambda t: t.replace("1x28x28", "1x28"),
            "input shape '1x28' must be CxHxW (e.g. 3x224x224) or a feature count",
        ),
        (
            lambda t: t.replace('"1x28x28"', '"big"'),
            "input shape 'big' is not like 3x224x224 or 784",
        ),
        (
            lambda t: t.replace('  "input": "1x28x28",\n', ""),
            "input shape '' must be CxHxW (e.g. 3x224x224) or a feature count",
        ),
        (lambda t: t.replace('"version": 1', '"version": 3'), "version 3 is not supported"),
        (
            lambda t: t.replace("cnn-tui-stack", "other"),
            "not a cnn-tui stack (format is 'other')",
        ),
        (lambda t: "[1, 2]\n", "expected a JSON object with 'input' and 'layers'"),
    ],
)
def test_bad_header(tmp_path, change, message) -> None:
    error, where = _corrupt(tmp_path, change(GOOD.replace("LAYER3", '{"type": "flatten"}')))
    assert str(error) == f"{where}: {message}"


def test_missing_layers_list_is_empty(tmp_path) -> None:
    text = '{"format": "cnn-tui-stack", "input": "1x4x4", "layers": []}\n'
    error, where = _corrupt(tmp_path, text)
    assert str(error) == f"{where}: 'layers' must be a non-empty list"


def test_missing_file(tmp_path) -> None:
    path = tmp_path / "nowhere.json"
    with pytest.raises(StackError) as info:
        load_stack(path)
    assert str(info.value) == f"{path}: no such file"
    assert not path.exists()


def test_unreadable_file(tmp_path) -> None:
    path = tmp_path / "binary.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(StackError) as info:
        load_stack(path)
    assert str(info.value).startswith(f"{path}: cannot be read (")
    assert path.read_bytes() == b"\xff\xfe\x00garbage"


def test_loads_stack_default_source() -> None:
    with pytest.raises(StackError) as info:
        loads_stack("{")
    assert str(info.value).startswith("stack file, line 1: ")


def test_line_numbers_not_fooled_by_header_text(tmp_path) -> None:
    stack = Stack(parse_layers("relu conv(8,3)"), (1, 8, 8), "layers", "see [1, 2]")
    text = dumps_stack(stack).replace('"kernel": 3', '"kernel": 0')
    error, where = _corrupt(tmp_path, text)
    assert str(error) == f"{where}, line 9: layer 2 (conv) kernel: must be at least 1, got 0"


def test_null_name_falls_back_to_the_stem(tmp_path) -> None:
    path = tmp_path / "net.json"
    path.write_text(
        GOOD.replace("LAYER3", '{"type": "flatten"}').replace('"mnist"', "null"), encoding="utf-8"
    )
    assert load_stack(path).name == "net"
