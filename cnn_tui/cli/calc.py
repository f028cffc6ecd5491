"""The `calc` subcommands: conv, pool, transposed, linear and receptive-field calculators."""

from __future__ import annotations

import argparse
from typing import Any

from ..core.convolution.arithmetic import (
    conv_params,
    linear_params,
    size_report,
    transposed_output_size,
)
from ..core.plain_text import visible
from ..core.stacks.receptive_field import receptive_fields
from ..core.stacks.shapes import format_shape
from ..core.views import report
from .common import _console, _load_stack, _print_json, _text, escape
from .render import _print_formula


def _report_dict(sizes) -> dict[str, Any]:
    return {
        "output": sizes.output,
        "formula": sizes.formula,
        "exact": sizes.exact,
        "uncovered": list(sizes.uncovered),
        "uncovered_causes": list(sizes.causes),
        "padding": list(sizes.padding),
        "dropped": sizes.dropped,
    }


def cmd_calc_conv(args: argparse.Namespace) -> int:
    sizes = size_report(args.size, args.kernel, args.stride, args.padding, args.dilation)
    data: dict[str, Any] = {"output_size": sizes.output, **_report_dict(sizes)}
    if args.in_channels:
        count = conv_params(
            args.kernel, args.in_channels, args.filters, args.groups, not args.no_bias
        )
        data.update(
            output_shape=[args.filters, sizes.output, sizes.output],
            weights=count.weights,
            biases=count.biases,
            params=count.total,
        )
    if args.json:
        _print_json(data)
        return 0
    console = _console()
    _print_formula(console, "output size", sizes)
    if sizes.explanation:
        console.print(f"  [yellow]{sizes.explanation}[/]")
    if args.in_channels:
        shape = report.conv_shape_text(args.in_channels, args.size, args.filters, sizes.output)
        formula = report.conv_params_formula(
            args.kernel, args.in_channels, args.filters, args.groups, not args.no_bias
        )
        console.print(f"[bold]output shape[/] {shape}")
        console.print(f"[bold]parameters[/]   {formula}")
    return 0


def cmd_calc_pool(args: argparse.Namespace) -> int:
    from ..core.convolution.arithmetic import pool_size_report

    sizes = pool_size_report(args.size, args.kernel, args.stride, args.padding, args.ceil)
    if args.json:
        _print_json({"output_size": sizes.output, **_report_dict(sizes)})
        return 0
    console = _console()
    _print_formula(console, "output size", sizes)
    if sizes.explanation:
        console.print(f"  [yellow]{sizes.explanation}[/]")
    console.print("[dim]pooling keeps the depth: each channel is pooled on its own[/]")
    return 0


def cmd_calc_transposed(args: argparse.Namespace) -> int:
    out = transposed_output_size(
        args.size, args.kernel, args.stride, args.padding, args.output_padding, args.dilation
    )
    formula = report.transposed_formula(
        args.size, args.kernel, args.stride, args.padding, args.output_padding, args.dilation
    )
    if args.json:
        _print_json({"output_size": out, "formula": formula})
    else:
        _console().print(f"[bold]output size[/]  {formula}")
    return 0


def cmd_calc_linear(args: argparse.Namespace) -> int:
    count = linear_params(args.in_features, args.out_features, not args.no_bias)
    if args.json:
        _print_json({"weights": count.weights, "biases": count.biases, "params": count.total})
        return 0
    formula = report.linear_params_formula(args.in_features, args.out_features, not args.no_bias)
    _console().print(f"[bold]parameters[/]  {formula}")
    return 0


def cmd_calc_receptive_field(args: argparse.Namespace) -> int:
    stack = _load_stack(args.model, args.input)
    rows = receptive_fields(stack)
    if args.json:
        _print_json([row.to_dict() for row in rows])
        return 0
    from rich.table import Table

    table = Table(
        title=f"receptive field  input {format_shape(stack.input_shape)}",
        title_justify="left",
        pad_edge=False,
    )
    for name in report.FIELD_COLUMNS:
        table.add_column(name, justify="left" if name == "layer" else "right")
    for row in rows:
        cells = report.field_cells(row)
        table.add_row(*(_text(cells[name], 50) for name in report.FIELD_COLUMNS))
    console = _console()
    console.print(table)
    note = report.field_note(rows)
    if note:
        console.print(f"[dim]{escape(visible(note))}[/dim]", highlight=False)
    return 0
