"""The `summary` subcommand: a stack's layer table and totals."""

from __future__ import annotations

import argparse

from ..core.plain_text import visible
from ..core.stacks.tally import Tally, tally
from ..core.views import report
from .common import (
    EXIT_BAD_INPUT,
    UsageError,
    _console,
    _error,
    _load_stack,
    _print_json,
    _text,
    escape,
)


def cmd_summary(args: argparse.Namespace) -> int:
    if args.depth < 0:
        raise UsageError(f"--depth must be 0 (top-level layers) or more, got {args.depth}")
    stack = _load_stack(args.model, args.input)
    result = tally(stack, batch=args.batch, dtype=args.dtype, optimizer=args.optimizer)
    if args.json:
        _print_json(result.to_dict())
    else:
        render_summary(result, depth=args.depth)
    if result.error:
        _error(result.error.describe())
        return EXIT_BAD_INPUT
    return 0


def render_summary(result: Tally, depth: int = 0) -> None:
    """The lecture's VGG table for any stack, then the totals (text from core.views.report)."""
    from rich import box
    from rich.table import Table

    console = _console()
    table = Table(
        title=_text(report.summary_title(result), 200),  # the name is the file's: plain text
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    lines = report.summary_lines(result, depth)
    widths = report.column_widths(lines)
    columns = report.fit_columns(lines, console.width)
    room = console.width - sum(widths[c] + 3 for c in columns if c != "layer") - 3
    for name in columns:
        table.add_column(
            name,
            justify="left" if name == "layer" else "right",
            no_wrap=True,
            min_width=widths[name] if name != "layer" else None,
            max_width=max(12, room - 2) if name == "layer" else None,
            overflow="ellipsis",
        )
    styles = {"peak": "bold yellow", "uncounted": "dim"}
    for line in lines:
        table.add_row(
            *(_text(line.cells.get(c, ""), 200) for c in columns),
            style=styles.get(line.emphasis, ""),
        )
    console.print(table)
    for label, text in report.summary_totals(result, label_limit=50):
        console.print(
            f"[bold]{label:<{report.TOTALS_LABEL_WIDTH}}[/bold] {escape(visible(text))}",
            highlight=False,
        )
    console.print(f"[dim]{report.MEMORY_NOTE}[/dim]")
