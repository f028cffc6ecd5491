"""Text the CLI and the app share: formulas with numbers, summary cells, totals."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..convolution.arithmetic import conv_params, linear_params, transposed_output_size
from ..stacks.receptive_field import FieldRow
from ..stacks.shapes import format_shape
from ..stacks.tally import Row, Tally, short_bytes, short_count

# ---------------------------------------------------------------------------------------------
# Formulas with the numbers filled in
# ---------------------------------------------------------------------------------------------


def conv_params_formula(
    kernel: int, in_channels: int, filters: int, groups: int = 1, bias: bool = True
) -> str:
    """'(5*5*3)*6 + 6 = 456': the lecture's (F*F*C_in)*K + K with the numbers in."""
    count = conv_params(kernel, in_channels, filters, groups, bias)
    per_filter = f"{kernel}*{kernel}*{in_channels}"
    if groups > 1:
        per_filter += f"/{groups}"
    biases = f" + {count.biases}" if count.biases else ""
    return f"({per_filter})*{filters}{biases} = {count.total:,}"


def conv_shape_text(in_channels: int, size: int, filters: int, output: int) -> str:
    """'6x28x28  (3x32x32 in)': the output feature map beside the input it came from."""
    return f"{filters}x{output}x{output}  ({in_channels}x{size}x{size} in)"


def linear_params_formula(in_features: int, out_features: int, bias: bool = True) -> str:
    """'800*500 + 500 = 400,500'."""
    count = linear_params(in_features, out_features, bias)
    biases = f" + {count.biases}" if count.biases else ""
    return f"{in_features}*{out_features}{biases} = {count.total:,}"


def transposed_formula(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> str:
    """'(32 - 1)*1 - 2*0 + 1*(5 - 1) + 0 + 1 = 36': (W-1)S - 2P + d(F-1) + output_padding + 1."""
    out = transposed_output_size(size, kernel, stride, padding, output_padding, dilation)
    return (
        f"({size} - 1)*{stride} - 2*{padding} + {dilation}*({kernel} - 1)"
        f" + {output_padding} + 1 = {out}"
    )


# ---------------------------------------------------------------------------------------------
# The summary table and its totals
# ---------------------------------------------------------------------------------------------

SUMMARY_COLUMNS: tuple[str, ...] = (
    "#",
    "layer",
    "output",
    "activations",
    "memory",
    "weights",
    "biases",
    "MACs",
)
"""Columns of the layer table, as `cnn-tui summary` prints them."""

DROPPABLE_COLUMNS: tuple[str, ...] = ("biases", "memory")
"""Dropped in this order when the table is too wide; the layer name shrinks last."""

MEMORY_NOTE = "memory in MiB = 2^20 bytes"


@dataclass(frozen=True)
class SummaryLine:
    """One line of the summary table: its cells by column, and how it should stand out."""

    cells: dict[str, str]
    emphasis: str
    """'input', 'peak' (most memory or most parameters), 'uncounted' (dim), or ''."""
    row: Row | None = None
    """The tally row behind it; None for the input line."""


def summary_lines(result: Tally, depth: int = 0) -> list[SummaryLine]:
    """The input line, then one line per row down to depth (0: top-level layers only)."""
    lines = [
        SummaryLine(
            {
                "layer": "input",
                "output": format_shape(result.input_shape),
                "activations": f"{math.prod(result.input_shape):,}",
            },
            "input",
        )
    ]
    peaks = (result.memory_peak, result.params_peak)
    for row in result.rows:
        if row.depth > depth:
            continue
        if any(row is peak for peak in peaks):
            emphasis = "peak"
        else:
            emphasis = "" if row.counted else "uncounted"
        cells = {
            "#": row.number,
            "layer": "  " * row.depth + row.label,
            "output": format_shape(row.output_shape),
            "activations": f"{row.activations:,}",
            "memory": short_bytes(result.row_bytes(row)),
            "weights": f"{row.weights:,}" if row.weights else "",
            "biases": f"{row.biases:,}" if row.biases else "",
            "MACs": short_count(row.macs) if row.macs else "",
        }
        lines.append(SummaryLine(cells, emphasis, row))
    return lines


def column_widths(lines: list[SummaryLine]) -> dict[str, int]:
    """The widest cell of each column, header included."""
    return {
        column: max(len(column), *(len(line.cells.get(column, "")) for line in lines))
        for column in SUMMARY_COLUMNS
    }


def fit_columns(
    lines: list[SummaryLine],
    width: int,
    gap: int = 3,
    layer_room: int = 30,
    droppable: tuple[str, ...] = DROPPABLE_COLUMNS,
) -> list[str]:
    """The columns that fit in width (each column costs its cells plus gap), dropping
    droppable in order; the layer column counts as at most layer_room wide."""
    widths = column_widths(lines)
    columns = list(SUMMARY_COLUMNS)
    for optional in droppable:
        wanted = (
            sum(widths[c] + gap for c in columns)
            - widths["layer"]
            + min(widths["layer"], layer_room)
        )
        if wanted > width:
            columns.remove(optional)
    return columns


def summary_title(result: Tally) -> str:
    """'vgg16  input 3x224x224'."""
    return f"{result.name or 'stack'}  input {format_shape(result.input_shape)}"


def clip(text: str, limit: int | None) -> str:
    """text cut to limit characters, ending in an ellipsis when cut; None: no limit."""
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


def summary_totals(result: Tally, label_limit: int | None = None) -> list[tuple[str, str]]:
    """(label, text) lines under the table; a continuation line has an empty label.

    label_limit clips the layer labels of the most-memory and most-params lines (a residual
    block's label runs to a hundred characters)."""
    totals = result.totals
    size = f"batch {result.batch}, {result.dtype}"
    lines = [
        (
            "parameters",
            f"{totals.params:,} ({short_count(totals.params)})"
            f" = {totals.weights:,} weights + {totals.biases:,} biases",
        ),
        *_buffer_lines(result),
        (
            "activations",
            f"{totals.activations:,} ({short_count(totals.activations)})"
            " per image (input included, dim rows not)",
        ),
        ("MACs", f"{totals.macs:,} ({short_count(totals.macs)}) per image"),
        (
            "forward",
            f"{short_bytes(totals.forward_bytes)} for {size} ({totals.forward_bytes:,} bytes)",
        ),
        ("training", f"{short_bytes(totals.training_bytes)} per step, {size}, {result.optimizer}"),
        (
            "",
            # the peak holds the kept activations or, later, the optimizer's scratch copy
            (
                f"= activations kept {short_bytes(totals.saved_bytes)}"
                if totals.saved_bytes >= totals.scratch_bytes
                else f"= optimizer scratch {short_bytes(totals.scratch_bytes)}"
            )
            + f" + weights {short_bytes(totals.parameter_bytes)}",
        ),
        (
            "",
            f"  + gradients {short_bytes(totals.gradient_bytes)}"
            f" + optimizer state {short_bytes(totals.optimizer_bytes)}",
        ),
    ]
    memory_peak, params_peak = result.memory_peak, result.params_peak
    if memory_peak is not None:
        lines.append(
            (
                "most memory",
                f"layer {memory_peak.number} {clip(memory_peak.label, label_limit)}:"
                f" {memory_peak.activations:,} activations per image",
            )
        )
    if params_peak is not None:
        lines.append(
            (
                "most params",
                f"layer {params_peak.number} {clip(params_peak.label, label_limit)}:"
                f" {params_peak.params:,} parameters",
            )
        )
    if result.output_shape:
        lines.append(("output", format_shape(result.output_shape)))
    return lines


def _buffer_lines(result: Tally) -> list[tuple[str, str]]:
    """Batch norm's running statistics, only when the stack has any: they explain why a Keras
    summary of the same layers shows more parameters than PyTorch counts."""
    totals = result.totals
    if not totals.buffers:
        return []
    keras = totals.params + totals.buffers
    return [
        (
            "buffers",
            f"{totals.buffers:,} ({short_count(totals.buffers)})"
            " batch norm's running means and variances",
        ),
        ("", "(not trained, not counted in parameters; Keras counts them as"),
        (
            "",
            f"non-trainable parameters: it totals these layers at {keras:,})",
        ),
    ]


TOTALS_LABEL_WIDTH = 12
"""Labels of the totals lines are padded to this, so the figures line up."""


# ---------------------------------------------------------------------------------------------
# The receptive-field table
# ---------------------------------------------------------------------------------------------

FIELD_COLUMNS: tuple[str, ...] = ("#", "layer", "output", "field", "jump", "start")


def field_cells(row: FieldRow) -> dict[str, str]:
    """One receptive-field row as text; 'whole input' once the layer mixes the whole image."""
    field = row.field
    if field is None:
        return {
            "#": row.number,
            "layer": row.label,
            "output": format_shape(row.output_shape),
            "field": "whole input",
            "jump": "",
            "start": "",
        }
    across = row.across or field  # along the width: differs after a 1x7 kernel, s=2x1, ...
    jump = f"{field.jump}" if across.jump == field.jump else f"{field.jump}x{across.jump}"
    start = f"{field.start:g}"
    if across.start != field.start:
        start += f", {across.start:g}"
    # after an adaptive pool with unequal windows: the largest any cell has (see field_note)
    wide = "" if field.exact and across.exact else "≤"
    far = "" if field.even and across.even else "≤"
    return {
        "#": row.number,
        "layer": row.label,
        "output": format_shape(row.output_shape),
        "field": f"{wide}{field.size}x{across.size}",
        "jump": f"{far}{jump}",
        "start": start,
    }


def field_note(rows: Sequence[FieldRow]) -> str:
    """What a '≤' in the field table means, naming the adaptive pool behind it; empty when
    every field is exact."""
    for row in rows:
        fields = [f for f in (row.field, row.across) if f is not None]
        if any(not (f.exact and f.even) for f in fields):
            return (
                f"≤: layer {row.number} {clip(row.label, 30)} pools windows of unequal width or"
                " spacing (PyTorch's [floor(i*L/N), ceil((i+1)*L/N))): a figure marked ≤ is the"
                " largest any cell has, exact on that layer's row and an upper bound after it"
            )
    return ""
