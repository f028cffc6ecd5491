"""The engine stays headless and the CLI stays quick: heavy imports happen only when needed."""

import json
import subprocess
import sys

import pytest

HEAVY = ["textual", "rich", "torch", "torchvision", "sklearn"]


def _loaded_after(code: str) -> dict[str, bool]:
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "module",
    [
        "cnn_tui.core",
        "cnn_tui.core.convolution.arithmetic",
        "cnn_tui.core.stacks.layers",
        "cnn_tui.core.stacks.tally",
        "cnn_tui.core.convolution.stepper",
        "cnn_tui.core.stacks.zoo",
        "cnn_tui.core.stacks.stack_file",
        "cnn_tui.core.stacks.torch_bridge",
        "cnn_tui.core.views.report",
        "cnn_tui.core.stacks.stack_edit",
    ],
)
def test_core_imports_no_ui_and_no_torch(module):
    loaded = _loaded_after(f"import {module}")
    assert loaded == dict.fromkeys(HEAVY, False)


def test_every_core_module_together_imports_no_ui_and_no_torch():
    """All of the core at once, found by walking the package, so a new module is covered.
    torch_modules is the one exception: it holds the nn.Module classes, and only the torch
    bridge imports it, inside the functions that build a network."""
    code = (
        "import importlib, pkgutil, cnn_tui.core as core\n"
        "for info in pkgutil.walk_packages(core.__path__, 'cnn_tui.core.'):\n"
        "    if info.name != 'cnn_tui.core.stacks.torch_modules':\n"
        "        importlib.import_module(info.name)\n"
    )
    loaded = _loaded_after(code)
    assert loaded == dict.fromkeys(HEAVY, False)


def test_cli_help_and_summary_never_import_torch():
    code = (
        "import contextlib, io\n"
        "from cnn_tui import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['summary', 'vgg16'])\n"
        "    cli.main(['calc', 'conv', '--size', '32', '--kernel', '5'])\n"
        "    for args in (['--help'], ['inspect', '--help']):\n"
        "        with contextlib.suppress(SystemExit):\n"
        "            cli.main(args)\n"
    )
    loaded = _loaded_after(code)
    assert not loaded["torch"] and not loaded["torchvision"] and not loaded["textual"]


@pytest.mark.parametrize(
    "mode", ["lessons", "stepper", "builder", "train", "calculators", "playground"]
)
def test_the_app_paints_without_torch(mode):
    code = (
        "import sys\n"
        "from cnn_tui.app.app import CnnTuiApp\n"
        "async def report(pilot):\n"
        "    await pilot.pause()\n"
        "    pilot.app.exit()\n"
        f"CnnTuiApp(mode={mode!r}).run(headless=True, size=(80, 24), auto_pilot=report)\n"
    )
    loaded = _loaded_after(code)
    assert loaded["textual"]
    assert not loaded["torch"] and not loaded["torchvision"] and not loaded["sklearn"]


def test_the_app_asks_the_terminal_nothing_about_pictures():
    """The Train screen draws its pictures with half-cells of its own, which need no answer from
    the terminal: textual-image (which asks the terminal when imported, and after Textual has
    taken the terminal the answer would arrive as key presses) is never imported, not even once
    a picture has been drawn; NumPy and Pillow wait for the first picture."""
    probe = (
        "import sys, cnn_tui.app.app\n"
        "print('numpy' in sys.modules, 'PIL' in sys.modules)\n"
        "import numpy as np\n"
        "from rich.console import Console\n"
        "from cnn_tui.app.widgets.train.picture import TrainPicture\n"
        "Console().render_lines(TrainPicture(np.zeros((5, 5), np.uint8)).render())\n"
        "print('textual_image' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False", "False"]
