"""Exported source runs only what the exporter writes: a hostile name, description, class name or
layer setting changes comments at most, never the program (issue 12, item 1)."""

from __future__ import annotations

import ast
import functools
import json
from dataclasses import replace

import pytest

from cnn_tui.cli import main
from cnn_tui.core.stacks.layers import Conv2d
from cnn_tui.core.stacks.shapes import StackError
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack import Stack
from cnn_tui.core.stacks.stack_file import loads_stack
from cnn_tui.core.stacks.torch_bridge import _literal, export_source

pytest.importorskip("torch")  # the block helpers' source is read from the torch modules

ISSUE_NAME = 'n\nimport os; os.system("touch marker")\n#'

HOSTILE = [
    ISSUE_NAME,
    "x\rimport os",
    "x\r\nimport os",
    "x\x0bimport os",
    "x\x0cimport os",
    "x\x1cimport os\x1dimport sys\x1eimport re",
    "x\x85import os",
    "x\u2028import os\u2029import sys",
    'x"""\nimport os\n"""',
    "x'''\nimport os\n'''",
    "back\\slash\\",
    "back\\\nimport os",
    "# hash # and \"quotes\" and 'quotes'",
    "nul\x00byte",
    "lone \ud800 surrogate",
    "bidi \u202eimport os\u202c",
    "esc \x1b[31mred",
    "\n" * 5 + "import os",
]

SPEC = "conv(4,3,p=same) relu res[conv(4,3,p=1)] maxpool(2) flatten fc(2)"
"""Leaf modules, a functional line, a block helper class and a string setting (padding)."""


def stack(name: str = "benign", description: str = "a benign description") -> Stack:
    return Stack(parse_layers(SPEC), (1, 6, 6), name=name, description=description)


def tree(source: str) -> str:
    """The program without its comments: what Python would run."""
    return ast.dump(ast.parse(source))


@functools.cache
def benign_tree() -> str:
    return tree(export_source(stack()))


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_name_changes_no_statement(value):
    source = export_source(stack(name=value))
    source.encode("utf-8")  # writable as a file: a lone surrogate is escaped, not kept
    assert tree(source) == benign_tree()


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_description_changes_no_statement(value):
    source = export_source(stack(description=value))
    source.encode("utf-8")
    assert tree(source) == benign_tree()


def test_the_issues_name_is_one_comment_line_with_its_newlines_escaped():
    header = export_source(stack(name=ISSUE_NAME)).splitlines()[0]
    assert header == (
        '# Net: the stack "n\\nimport os; os.system("touch marker")\\n#" '
        "for 1x6x6 inputs, exported by cnn-tui."
    )


def test_a_description_keeps_its_text_and_shows_its_control_characters():
    source = export_source(stack(description="two\nlines\u2028and \x1b[31m\xa0nbsp"))
    assert "# two\\nlines\\u2028and \\x1b[31m\\xa0nbsp" in source.splitlines()


@pytest.mark.parametrize(
    ("class_name", "message"),
    [
        ("Net\nimport os", "class name 'Net\\nimport os' is not a Python identifier"),
        ("Net(object): pass\n#", "class name 'Net(object): pass\\n#' is not a Python identifier"),
        ("Net:#", "class name 'Net:#' is not a Python identifier"),
        ("", "class name '' is not a Python identifier"),
        ("1Net", "class name '1Net' is not a Python identifier"),
        ("class", "class name 'class' is not a Python identifier"),
        ("Ｎｅｔ", "class name 'Ｎｅｔ' is not a Python identifier"),  # NFKC would make it Net
        ("nn", "class name 'nn' is taken: the exported file uses it; try e.g. Net"),
        ("torch", "class name 'torch' is taken: the exported file uses it; try e.g. Net"),
        ("F", "class name 'F' is taken: the exported file uses it; try e.g. Net"),
        ("Residual", "class name 'Residual' is taken: the exported file uses it; try e.g. Net"),
        ("print", "class name 'print' is taken: the exported file uses it; try e.g. Net"),
        ("super", "class name 'super' is taken: the exported file uses it; try e.g. Net"),
        ("__name__", "class name '__name__' is taken: the exported file uses it; try e.g. Net"),
    ],
)
def test_a_class_name_that_is_no_plain_identifier_or_is_taken_is_refused(class_name, message):
    with pytest.raises(ValueError) as caught:
        export_source(stack(), class_name=class_name)
    assert str(caught.value).startswith(message)


def test_a_good_class_name_changes_only_the_class_name():
    renamed = tree(export_source(stack(), class_name="TinyNet"))
    assert renamed == benign_tree().replace("'Net'", "'TinyNet'")
    assert renamed != benign_tree()


@pytest.mark.parametrize("value", HOSTILE)
def test_a_string_literal_is_one_constant_holding_exactly_the_value(value):
    module = ast.parse(f"x = {_literal(value)}\n")
    assert len(module.body) == 1
    assigned = module.body[0]
    assert isinstance(assigned, ast.Assign) and isinstance(assigned.value, ast.Constant)
    assert assigned.value.value == value


def test_padding_is_written_in_the_files_double_quotes():
    assert 'nn.Conv2d(1, 4, 3, padding="same")' in export_source(stack())


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_layer_setting_never_reaches_the_source(value):
    # from a file: the loader takes only numbers and valid/same/full
    text = json.dumps(
        {
            "input": "1x6x6",
            "layers": [{"type": "conv", "out_channels": 4, "kernel": 3, "padding": value}],
        }
    )
    with pytest.raises(StackError, match="padding: expected a whole number or valid/same/full"):
        loads_stack(text)
    # built in code, past the loader: the exporter refuses it before writing a line
    layers = (replace(Conv2d(4, 3), padding=value),)
    with pytest.raises(StackError, match="padding must be a number or one of valid, same, full"):
        export_source(Stack(layers, (1, 6, 6)))


def test_the_cli_export_of_the_issues_stack_file_writes_the_benign_program(tmp_path, capsys):
    stack_file = tmp_path / "x.json"
    layers = [
        {"type": "conv", "out_channels": 4, "kernel": 3, "padding": "same"},
        {"type": "relu"},
        {"type": "res", "body": [{"type": "conv", "out_channels": 4, "kernel": 3, "padding": 1}]},
        {"type": "maxpool", "kernel": 2},
        {"type": "flatten"},
        {"type": "fc", "out_features": 2},
    ]
    for name, target in ((ISSUE_NAME, "net.py"), ("benign", "benign.py")):
        data = {"name": name, "description": name, "input": "1x6x6", "layers": layers}
        stack_file.write_text(json.dumps(data))
        assert main(["export", str(stack_file), "--out", str(tmp_path / target)]) == 0
    assert (
        capsys.readouterr().err == f"wrote {tmp_path / 'net.py'}\nwrote {tmp_path / 'benign.py'}\n"
    )
    hostile = (tmp_path / "net.py").read_text()
    assert tree(hostile) == tree((tmp_path / "benign.py").read_text())
    assert "\nimport os" not in hostile
    assert not (tmp_path / "marker").exists()


def test_the_cli_refuses_a_hostile_class_name_with_one_line(capsys):
    assert (
        main(["export", "conv(2,3) relu", "--input", "1x8x8", "--class-name", "A\nimport os"]) == 2
    )
    assert capsys.readouterr().err == (
        "cnn-tui: class name 'A\\nimport os' is not a Python identifier "
        "(letters, digits and _, not starting with a digit)\n"
    )
