"""Helpers the `cnn-tui` command's test files share: the tiny train stack's flags, a JSON run."""

from __future__ import annotations

import json

from cnn_tui.cli import main

TINY = [
    "--model",
    "conv(4,3) relu maxpool(2) flatten fc(10)",
    "--input",
    "1x8x8",
    "--dataset",
    "digits",
    "--device",
    "cpu",
]


def run_json(capsys, *args: str):
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)
