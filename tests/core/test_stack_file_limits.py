"""Stack files are bounded: rows (the spec's 10,000 applies to files too), bytes read, the name
and description, regular files only, line numbers found in linear time; IDX headers that
overflow and full-width digits get one message."""

from __future__ import annotations

import json
import os
import struct

import pytest

from cnn_tui.core.safe_files import STACK_FILE_LIMIT
from cnn_tui.core.stacks.layer_settings import coerce
from cnn_tui.core.stacks.shapes import MAX_LAYERS, StackError, parse_shape
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack_file import MAX_TEXT, _layer_lines, load_stack, loads_stack
from cnn_tui.core.training.idx_files import IdxError, parse_idx, read_idx


def stack_file_text(rows: int, **header) -> str:
    data = {"format": "cnn-tui-stack", "version": 1, "input": "4", **header}
    lines = ["{"] + [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in data.items()]
    lines += ['  "layers": [', ",\n".join(['    {"type": "relu"}'] * rows), "  ]", "}"]
    return "\n".join(lines) + "\n"


def test_a_file_of_exactly_the_row_limit_loads_with_its_line_numbers():
    text = stack_file_text(MAX_LAYERS)
    assert len(loads_stack(text).layers) == MAX_LAYERS
    lines = _layer_lines(text)
    assert lines[:2] == [6, 7] and lines[-1] == 6 + MAX_LAYERS - 1


def test_a_file_one_row_over_the_limit_is_refused():
    with pytest.raises(StackError) as info:
        loads_stack(stack_file_text(MAX_LAYERS + 1), "big.json")
    assert str(info.value) == (
        "big.json: 10,001 layers (blocks counted with their insides); a stack holds at most 10,000"
    )


def test_rows_inside_blocks_count_against_the_limit():
    block = {"type": "res", "body": [{"type": "relu"}] * 5_000}
    text = json.dumps({"input": "4", "layers": [block, block, {"type": "relu"}]})
    with pytest.raises(StackError) as info:
        loads_stack(text, "blocks.json")
    assert str(info.value) == (
        "blocks.json: 10,003 layers (blocks counted with their insides); a stack holds at most "
        "10,000"
    )


def test_a_bad_row_near_the_end_of_a_long_file_names_its_line():
    text = stack_file_text(9_999).replace('{"type": "relu"}\n  ]', '{"type": "conv"}\n  ]')
    with pytest.raises(StackError) as info:
        loads_stack(text, "long.json")
    assert (
        str(info.value) == "long.json, line 10004: layer 9999 (conv): missing out_channels, kernel"
    )


def test_a_long_name_or_description_is_refused():
    with pytest.raises(StackError) as info:
        loads_stack(stack_file_text(1, name="n" * 201), "a.json")
    assert str(info.value) == "a.json: the name is 201 characters; at most 200"
    with pytest.raises(StackError) as info:
        loads_stack(stack_file_text(1, description="d" * 10_001), "a.json")
    assert str(info.value) == "a.json: the description is 10,001 characters; at most 10,000"
    assert MAX_TEXT == {"name": 200, "description": 10_000}


def test_a_name_that_is_not_text_is_refused():
    with pytest.raises(StackError) as info:
        loads_stack(stack_file_text(1, name=["a"]), "a.json")
    assert str(info.value) == "a.json: 'name' must be text, got list"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as handle:
        handle.truncate(STACK_FILE_LIMIT + 1)  # sparse: nothing is written
    with pytest.raises(StackError) as info:
        load_stack(path)
    assert str(info.value) == (
        f"{path}: cannot be read (it is 16.0 MiB; cnn-tui reads such files up to 16.0 MiB)"
    )


@pytest.mark.parametrize(
    ("make", "why"),
    [
        ("fifo", "it is a FIFO (named pipe), not a regular file"),
        ("/dev/zero", "it is a character device, not a regular file"),
        ("/dev/urandom", "it is a character device, not a regular file"),
        ("folder", "it is a folder, not a file"),
    ],
)
def test_what_is_not_a_regular_file_is_refused_without_hanging(tmp_path, make, why):
    if make == "fifo":
        path = tmp_path / "net.json"
        os.mkfifo(path)
    elif make == "folder":
        path = tmp_path / "net.json"
        path.mkdir()
    else:
        path = tmp_path / "net.json"
        path.symlink_to(make)
    with pytest.raises(StackError) as info:
        load_stack(path)
    assert str(info.value) == f"{path}: cannot be read ({why})"


def test_a_file_that_is_not_utf8_names_the_reason(tmp_path):
    path = tmp_path / "net.json"
    path.write_bytes(b'{"name": "\xff"}')
    with pytest.raises(StackError) as info:
        load_stack(path)
    assert str(info.value) == f"{path}: cannot be read (not UTF-8 text: invalid start byte)"


def test_a_file_name_over_255_bytes_is_one_message(tmp_path):
    path = tmp_path / ("n" * 300 + ".json")
    with pytest.raises(StackError) as info:
        load_stack(path)
    assert str(info.value) == (
        f"{path}: cannot be read (the file name is too long (at most 255 bytes per name))"
    )


# --- full-width and other non-ASCII digits -----------------------------------------------------


@pytest.mark.parametrize("spec", ["conv(２０,5)", "[relu]*２", "dropout(０.５)", "fc(１０)"])
def test_full_width_digits_are_not_numbers_in_a_spec(spec):
    with pytest.raises(StackError) as info:
        parse_layers(spec)
    assert "unexpected character" in str(info.value)


@pytest.mark.parametrize(("key", "value"), [("kernel", "５"), ("p", "０.５"), ("kernel", "²")])
def test_full_width_digits_are_not_numbers_in_a_file(key, value):
    with pytest.raises(ValueError) as info:
        coerce(key, value)
    assert str(info.value).startswith("expected a")


def test_full_width_digits_are_not_an_input_shape():
    with pytest.raises(StackError):
        parse_shape("１x28x28")


# --- IDX headers whose sizes overflow ------------------------------------------------------------


def test_an_idx_header_whose_product_overflows_int64_is_named(tmp_path):
    header = bytes([0, 0, 0x08, 4]) + struct.pack(">4I", *([0xFFFFFFFF] * 4))
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(header + b"\0" * 16)
    with pytest.raises(IdxError) as info:
        read_idx(path)
    promised = 0xFFFFFFFF**4
    assert str(info.value) == (
        f"{path} is cut short (its header promises 4294967295x4294967295x4294967295x4294967295 "
        f"= {promised:,} values, the file holds 16)"
    )


def test_an_idx_header_that_wraps_to_the_file_size_is_still_refused():
    # 2**32 * 2**32 wraps to 0 in int64 arithmetic: 0 values promised, 0 found, would "pass"
    header = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 2**31, 2**31, 4)
    with pytest.raises(IdxError) as info:
        parse_idx(header)
    assert "is cut short" in str(info.value)


def test_an_idx_fifo_is_refused(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    os.mkfifo(path)
    with pytest.raises(OSError) as info:
        read_idx(path)
    assert info.value.strerror == "it is a FIFO (named pipe), not a regular file"
