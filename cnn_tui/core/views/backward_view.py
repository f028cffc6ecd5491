"""What the backward stepper draws for each step: the grids with their highlights and the lines
that write each gradient out with numbers (the core computes, the app only draws).

Three traces: dL/dW (conv), dL/dX and dL/db (conv); dL/dX can be read three ways: each input
cell's sum, the windows scattering their dL/dY back, or the full convolution with the flipped
kernel. Pooling has dL/dX only (sum or scatter)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..convolution.backward_conv import ConvBackward
from ..convolution.backward_pool import PoolBackward
from ..convolution.backward_sgd import SGDStep
from ..convolution.stepper import Trace, format_number

Cell = tuple[int, int]
Padding = tuple[tuple[int, int], tuple[int, int]]

TRACE_NAMES = {"weight": "dL/dW", "input": "dL/dX", "bias": "dL/db"}
"""The traces the backward stepper steps through, as the screen names them."""
VIEW_NAMES = {
    "sum": "each cell's sum",
    "scatter": "scattered from each window",
    "full": "full convolution with the flipped kernel",
}
"""The ways dL/dX can be stepped."""


@dataclass(frozen=True, eq=False)
class GridView:
    """One grid to draw: its numbers (2-D; NaN not reached yet) and highlights."""

    id: str
    title: str
    values: np.ndarray
    padding: Padding = ((0, 0), (0, 0))
    window: frozenset[Cell] = frozenset()
    accent: Cell | None = None
    greyed: frozenset[Cell] = frozenset()
    editable: bool = False
    """Only dL/dY is typed into."""


@dataclass(frozen=True, eq=False)
class BackwardPage:
    """Everything one backward step shows."""

    grids: tuple[GridView, ...]
    heading: str
    """'dL/dW  step 2/9  weight (0, 1)  = 6'."""
    lines: tuple[str, ...]
    """What the gradient is, then the sum with numbers (wrap keeping '= result' whole)."""
    notes: tuple[str, ...] = field(default=())
    """Why a cell is special (a tie, an uncovered cell, the flip), in sentences."""


def traces_for(backward: ConvBackward | PoolBackward) -> tuple[str, ...]:
    return ("weight", "input", "bias") if isinstance(backward, ConvBackward) else ("input",)


def views_for(backward: ConvBackward | PoolBackward) -> tuple[str, ...]:
    return ("sum", "scatter", "full") if isinstance(backward, ConvBackward) else ("sum", "scatter")


def step_count(backward: ConvBackward | PoolBackward, trace: str, view: str) -> int:
    if trace == "weight" and isinstance(backward, ConvBackward):
        return len(backward.weight_steps)
    if trace == "bias" and isinstance(backward, ConvBackward):
        return len(backward.bias_steps)
    if view == "scatter":
        return len(backward.scatter_steps)
    if view == "full" and isinstance(backward, ConvBackward):
        return len(backward.full_convolution.trace.steps)
    return len(backward.input_steps)


def _one_d(trace: Trace) -> bool:
    return trace.operation == "conv1d"


def as_grid(values: np.ndarray) -> np.ndarray:
    """A spatial slice as a 2-D grid: a 1-D signal is one row."""
    return values.reshape(1, -1) if values.ndim == 1 else values


def cell(position: Sequence[int]) -> Cell:
    """A spatial position as a grid cell: (0, i) for a signal."""
    return (0, int(position[0])) if len(position) == 1 else (int(position[0]), int(position[1]))


def grid_padding(trace: Trace) -> Padding:
    pads = trace.padding
    return ((0, 0), pads[0]) if len(pads) == 1 else (pads[0], pads[1])


def _filled(final: np.ndarray, done: int) -> np.ndarray:
    """final with every cell after the first `done` (row-major) shown as not reached."""
    flat = np.array(final, dtype=float).ravel().copy()
    flat[done:] = np.nan
    return flat.reshape(final.shape)


def upstream_grids(
    backward: ConvBackward | PoolBackward,
    windows: dict[int, frozenset[Cell]] | None = None,
    accent: tuple[int, Cell] | None = None,
) -> list[GridView]:
    """dL/dY, one editable grid per filter (pooled channel)."""
    values = backward.upstream.values
    what = "f" if isinstance(backward, ConvBackward) else "c"
    many = values.shape[0] > 1
    grids = []
    for k in range(values.shape[0]):
        title = f"dL/dY {what}{k}" if many else "dL/dY"
        grids.append(
            GridView(
                f"upstream-{k}",
                title,
                as_grid(values[k]),
                window=(windows or {}).get(k, frozenset()),
                accent=accent[1] if accent is not None and accent[0] == k else None,
                editable=True,
            )
        )
    return grids


def uncovered_cells(trace: Trace) -> frozenset[Cell]:
    reports = trace.size_reports
    cols = set(reports[-1].uncovered)
    rows = set(reports[0].uncovered) if len(reports) == 2 else set()
    shape = as_grid(trace.input[0]).shape
    return frozenset(
        (r, c) for r in range(shape[0]) for c in range(shape[1]) if r in rows or c in cols
    )


def _input_grid(trace: Trace, channel: int, window: frozenset[Cell]) -> GridView:
    many = trace.input.shape[0] > 1
    return GridView(
        f"x-{channel}",
        f"input c{channel}" if many else "input",
        as_grid(trace.input[channel]),
        padding=grid_padding(trace),
        window=window,
        greyed=uncovered_cells(trace),
    )


def weight_page(backward: ConvBackward, index: int) -> BackwardPage:
    """dL/dW of one typed kernel cell: the input cells that weight touched, times dL/dY."""
    trace = backward.forward
    assert trace.kernel is not None
    step = backward.weight_steps[index]
    k, c, *typed = step.position
    touched = frozenset(cell(t.factor_position[1:]) for t in step.terms if t.factor_position)
    every = frozenset(cell(t.output_position[1:]) for t in step.terms)
    window_size = int(np.prod(trace.kernel.shape[2:]))
    done = index % window_size + 1
    label = f"f{k} c{c}" if trace.kernel.shape[0] * trace.kernel.shape[1] > 1 else ""
    grids = [
        *upstream_grids(backward, {k: every}),
        _input_grid(trace, c, touched),
        GridView(
            "kernel", f"kernel {label}".strip(), as_grid(trace.kernel[k, c]), accent=cell(typed)
        ),
        GridView(
            "result",
            f"dL/dW {label}".strip(),
            _filled(as_grid(backward.grad_weight[k, c]), done),
            accent=cell(typed),
        ),
    ]
    where = ", ".join(str(i) for i in typed)
    return BackwardPage(
        tuple(grids),
        f"weight {label} ({where})".replace("  ", " "),
        (
            "dL/dW = sum over the outputs of (input under this weight) x dL/dY:",
            f"dL/dW[{where}] = {step.equation()}",
        ),
        (step.note,) if step.note else (),
    )


def bias_page(backward: ConvBackward, index: int) -> BackwardPage:
    """dL/db of one filter: the sum of its dL/dY."""
    step = backward.bias_steps[index]
    (k,) = step.position
    every = frozenset(cell(t.output_position[1:]) for t in step.terms)
    grids = [
        *upstream_grids(backward, {k: every}),
        GridView(
            "result",
            "dL/db",
            _filled(backward.grad_bias.reshape(1, -1), index + 1),
            accent=(0, k),
        ),
    ]
    return BackwardPage(
        tuple(grids),
        f"bias of filter {k}",
        (
            f"dL/db = the sum of filter {k}'s dL/dY (the bias is added to every output):",
            f"dL/db[{k}] = {step.equation()}",
        ),
    )


def _kernels_used(backward: ConvBackward, channel: int, taps: set[tuple[int, ...]]) -> list:
    trace = backward.forward
    used = trace.used_kernel
    assert used is not None
    title = "kernel used" if trace.flipped else "kernel"
    grids = []
    for k in range(used.shape[0]):
        window = frozenset(cell(t[2:]) for t in taps if t[0] == k and t[1] == channel)
        name = f"{title} f{k}" if used.shape[0] > 1 else title
        if trace.input.shape[0] > 1:
            name += f" c{channel}"
        grids.append(
            GridView(f"kernel-{k}-{channel}", name, as_grid(used[k, channel]), window=window)
        )
    return grids


def input_page(backward: ConvBackward | PoolBackward, index: int) -> BackwardPage:
    """dL/dX of one input cell: every window that read it, (weight met or share) x dL/dY."""
    trace = backward.forward
    step = backward.input_steps[index]
    c, *at = step.position
    windows: dict[int, set[Cell]] = {}
    for term in step.terms:
        windows.setdefault(term.output_position[0], set()).add(cell(term.output_position[1:]))
    grids = upstream_grids(backward, {k: frozenset(v) for k, v in windows.items()})
    grids.append(_input_grid(trace, c, frozenset({cell(at)})))
    conv = isinstance(backward, ConvBackward)
    if isinstance(backward, ConvBackward):
        grids.extend(_kernels_used(backward, c, {t.factor_position or () for t in step.terms}))
    per_channel = int(np.prod(trace.input.shape[1:]))
    many = trace.input.shape[0] > 1
    grids.append(
        GridView(
            "result",
            f"dL/dX c{c}" if many else "dL/dX",
            _filled(as_grid(backward.grad_input[c]), index % per_channel + 1),
            padding=grid_padding(trace),
            accent=cell(at),
            greyed=uncovered_cells(trace),
        )
    )
    where = ", ".join(str(i) for i in at)
    factor = "weight it met" if conv else "share the window sends it"
    notes = [step.note] if step.note else []
    if isinstance(backward, PoolBackward):
        notes.append(backward.routing)
    return BackwardPage(
        tuple(grids),
        f"input cell c{c} ({where})" if many else f"input cell ({where})",
        (
            f"dL/dX = sum over the windows that read this cell of ({factor}) x dL/dY:",
            f"dL/dX[{where}] = {step.equation()}",
        ),
        tuple(notes),
    )


def scatter_page(backward: ConvBackward | PoolBackward, index: int) -> BackwardPage:
    """One window sending its dL/dY back: (weight or share) x dL/dY added to each cell it read;
    cells read by an earlier window too add up."""
    trace = backward.forward
    step = backward.scatter_steps[index]
    k, *o = step.output_position
    totals = np.zeros(trace.input.shape)
    for earlier in backward.scatter_steps[: index + 1]:
        for sent in earlier.contributions:
            if not sent.is_padding:
                totals[sent.input_position] += sent.amount
    grids = upstream_grids(backward, accent=(k, cell(o)))
    conv = isinstance(backward, ConvBackward)
    channels = trace.input.shape[0]
    many = channels > 1
    if isinstance(backward, ConvBackward):
        taps = {s.factor_position or () for s in step.contributions}
        grids.extend(_kernels_used(backward, c, taps)[k] for c in range(channels))
    for c in range(channels):
        window = frozenset(
            cell(s.input_position[1:]) for s in step.contributions if s.input_position[0] == c
        )
        if not conv:
            grids.append(_input_grid(trace, c, window))
        grids.append(
            GridView(
                f"result-{c}",
                f"dL/dX c{c}" if many else "dL/dX",
                as_grid(totals[c]),
                padding=grid_padding(trace),
                window=window,
                greyed=uncovered_cells(trace),
            )
        )
    sends = []
    for s in step.contributions:
        if s.is_padding:
            continue
        where = ",".join(str(i) for i in s.input_position[1 if not many else 0 :])
        adds = " (adds up)" if s.total != s.amount else ""
        sends.append(
            f"({where}) {_term(s.factor)}x{_term(s.upstream)} → {format_number(s.total)}{adds}"
        )
    what = "weight" if conv else "share"
    name = f"f{k}" if conv else f"c{k}"
    notes = [step.note] if step.note else []
    if isinstance(backward, PoolBackward):
        notes.append(backward.routing)
    return BackwardPage(
        tuple(grids),
        f"window of output {name} ({', '.join(str(i) for i in o)})",
        (
            f"dL/dY = {format_number(step.upstream)} goes back as ({what}) x dL/dY to each cell "
            "it read; overlapping windows add up:",
            ";  ".join(sends) if sends else "no cell of the input: only padding",
        ),
        tuple(notes),
    )


def _term(x: float) -> str:
    text = format_number(x)
    return f"({text})" if text.startswith("-") else text


def full_page(backward: ConvBackward, index: int) -> BackwardPage:
    """One cell of the full convolution: the flipped kernel over the spread, padded dL/dY."""
    full = backward.full_convolution
    ft = full.trace
    step = ft.steps[index]
    c, *o = step.output_position
    filters = full.padded.shape[0]
    grids = []
    for k in range(filters):
        window = frozenset(cell(w.position[1:]) for w in step.cells if w.position[0] == k)
        grids.append(
            GridView(
                f"padded-{k}",
                f"spread dL/dY f{k}" if filters > 1 else "spread, padded dL/dY",
                as_grid(full.padded[k]),
                window=window,
            )
        )
        title = f"flipped f{k}" if filters > 1 else "flipped kernel"
        grids.append(GridView(f"flipped-{k}", title, as_grid(full.kernel[c, k])))
    partial = ft.partial_output(index)[c]
    cropped = frozenset(
        cell(p[1:]) for p in np.ndindex(ft.output.shape) if p[0] == c and full.is_cropped(p)
    )
    many = ft.output.shape[0] > 1
    grids.append(
        GridView(
            "result",
            f"full c{c}" if many else "full result",
            as_grid(partial),
            accent=cell(o),
            greyed=cropped,
        )
    )
    strides = "x".join(str(s) for s in backward.forward.stride)
    pads = " x ".join(f"{b}+{a}" for b, a in full.padding)
    notes = [
        f"dL/dY spread by stride {strides} (stride - 1 zeros between), padded {pads}, the "
        "kernel flipped on both axes"
        + ("; struck-through cells are the forward padding, cropped" if cropped else "")
    ]
    position = (c, *o)
    if full.is_cropped(position):
        notes.append("this cell lies in the forward padding: it is cropped away")
    else:
        inner = tuple(at - before for at, (before, _) in zip(o, full.crop, strict=True))
        spatial = int(np.prod(backward.forward.input.shape[1:]))
        flat = c * spatial + int(np.ravel_multi_index(inner, backward.forward.input.shape[1:]))
        note = backward.input_steps[flat].note
        if note:
            notes.append(note)
    return BackwardPage(
        tuple(grids),
        f"full convolution cell c{c} ({', '.join(str(i) for i in o)})",
        ("dL/dX = full convolution of dL/dY with the flipped kernel:", *step.explain()),
        tuple(notes),
    )


def page(backward: ConvBackward | PoolBackward, trace: str, view: str, index: int) -> BackwardPage:
    """The page of step `index` of a trace ('weight', 'input', 'bias') in a dL/dX view."""
    if trace == "weight" and isinstance(backward, ConvBackward):
        return weight_page(backward, index)
    if trace == "bias" and isinstance(backward, ConvBackward):
        return bias_page(backward, index)
    if view == "scatter":
        return scatter_page(backward, index)
    if view == "full" and isinstance(backward, ConvBackward):
        return full_page(backward, index)
    return input_page(backward, index)


def sgd_page(sgd: SGDStep) -> BackwardPage:
    """One SGD step: every weight's W - lr x dL/dW, the outputs before and after, the loss."""
    grids = []
    old, new = sgd.backward.forward.output, sgd.new_trace.output
    for k in range(old.shape[0]):
        name = f" f{k}" if old.shape[0] > 1 else ""
        grids.append(GridView(f"old-{k}", f"output{name}", as_grid(old[k])))
        grids.append(GridView(f"new-{k}", f"new output{name}", as_grid(new[k])))
    return BackwardPage(
        tuple(grids),
        f"one SGD step, lr {format_number(sgd.lr)}",
        (f"W - lr x dL/dW, b - lr x dL/db (lr {format_number(sgd.lr)}):",),
        (sgd.loss_name, sgd.verdict),
    )


def in_columns(lines: Sequence[str], width: int, gap: int = 3) -> list[str]:
    """Short lines laid out in as many columns as fit in width (column-major, like ls)."""
    if not lines:
        return []
    cell_width = max(len(line) for line in lines) + gap
    columns = max(1, (width + gap) // cell_width)
    rows = -(-len(lines) // columns)
    out = []
    for r in range(rows):
        parts = [lines[i] for i in range(r, len(lines), rows)]
        out.append("".join(p.ljust(cell_width) for p in parts).rstrip())
    return out
