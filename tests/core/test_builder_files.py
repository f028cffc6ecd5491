"""The builder's files: failed loads kept from overwriting, default paths, typed stacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnn_tui.core.stacks.blocks import format_layers
from cnn_tui.core.stacks.shapes import StackError
from cnn_tui.core.views.builder_files import StackFiles, typed_path


def test_typed_paths_expand_home_and_add_a_missing_suffix():
    assert typed_path("  ~/nets/lenet ", ".json") == Path.home() / "nets" / "lenet.json"
    assert typed_path("lenet.JSON", ".json") == Path("lenet.JSON")
    assert typed_path("net.py") == Path("net.py")


def test_a_file_that_fails_to_load_is_remembered_until_it_loads(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    files = StackFiles()
    for _ in range(2):
        with pytest.raises(StackError):
            files.load(path)
    assert files.failed_loads == [path]  # once, however often it fails
    files.read_text("conv(8,3) relu", (1, 28, 28))  # a spec touches no file
    assert files.saved_path is None
    files.remember_file(path)
    assert files.saved_path == path and files.saved_signature is not None


def test_default_paths_sit_beside_the_last_file_else_take_the_stack_name(tmp_path):
    files = StackFiles()
    assert files.default_path(".json", "") == Path("./stack.json")
    assert files.default_path(".py", "lenet") == Path("./lenet.py")
    files.remember_file(tmp_path / "mine.json")
    assert files.default_path(".py", "lenet") == tmp_path / "mine.py"


def test_typed_text_reads_as_a_preset_a_spec_or_says_why_not():
    files = StackFiles()
    stack, own_shape, what = files.read_text("vgg16", (1, 28, 28))
    assert (own_shape, what, stack.input_shape) == (True, "preset vgg16", (3, 224, 224))
    stack, own_shape, what = files.read_text("conv(8,3) relu", (1, 28, 28))
    assert (own_shape, what) == (False, "a typed spec")
    assert (format_layers(stack.layers), stack.input_shape, stack.name) == (
        "conv(8,3) relu",
        (1, 28, 28),
        "",  # untitled: a spec is no preset or file, whatever it replaces
    )
    with pytest.raises(StackError, match="'vgg' is neither a layer nor a preset"):
        files.read_text("vgg", (1, 28, 28))
    with pytest.raises(StackError, match="type layers like"):
        files.read_text("", (1, 28, 28))
