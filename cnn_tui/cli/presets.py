"""The `presets` subcommand: the model zoo with its counts."""

from __future__ import annotations

import argparse

from ..core.stacks.shapes import format_shape
from ..core.stacks.tally import short_count, tally
from .common import _console, _print_json


def cmd_presets(args: argparse.Namespace) -> int:
    from ..core.stacks.zoo import PRESETS

    rows = []
    for preset in PRESETS.values():
        result = tally(preset.stack())
        rows.append(
            {
                "name": preset.name,
                "title": preset.title,
                "input": format_shape(preset.input_shape),
                "params": result.totals.params,
                "activations": result.totals.activations,
                "macs": result.totals.macs,
                "description": preset.description,
            }
        )
    if args.json:
        _print_json(rows)
        return 0
    from rich import box
    from rich.table import Table

    table = Table(pad_edge=False, header_style="bold", box=box.SIMPLE_HEAD)
    for name in ("name", "model", "input", "params", "activations", "MACs"):
        table.add_column(
            name, justify="left" if name in ("name", "model") else "right", no_wrap=name != "model"
        )
    for row in rows:
        table.add_row(
            row["name"],
            row["title"],
            row["input"],
            f"{row['params']:,}",
            short_count(row["activations"]),
            short_count(row["macs"]),
        )
    _console().print(table)
    return 0
