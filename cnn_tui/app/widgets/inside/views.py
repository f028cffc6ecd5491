"""Rich renderables of the inside view, built from the core's results: activation maps as
half-cell pictures, 1-D layers as bars, a cell's computation with its real numbers, the
saliency and Grad-CAM pictures, and the FGSM pictures. Numbers and names are plain Text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..train.picture import HalfCells, cells_for, half_cells

if TYPE_CHECKING:
    import numpy as np
    from rich.console import RenderableType

BLOCKS = " ▁▂▃▄▅▆▇█"
BAR = 20
"""Columns of the longest bar of a short 1-D layer."""


def picture(rgb: np.ndarray, widest: int) -> HalfCells:
    """A (H, W, 3) uint8 picture drawn with half cells, at most `widest` columns."""
    import numpy as np
    from PIL import Image

    columns, rows, zoom = cells_for(rgb.shape[0], rgb.shape[1], widest)
    if zoom > 1:
        rgb = rgb.repeat(zoom, axis=0).repeat(zoom, axis=1)
    image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB")
    return HalfCells(half_cells(image, columns, rows), columns)


def captioned(items: list[tuple[str, Any]], width: int) -> Table:
    """Pictures side by side (as many to a line as fit `width`), each with a caption above."""
    widest = max((_width(r) for _, r in items), default=1)
    per_line = max(1, (width + 1) // (max(widest, *(len(c) for c, _ in items)) + 1))
    grid = Table.grid(padding=(0, 1))
    for _ in range(min(per_line, len(items))):
        grid.add_column()
    for start in range(0, len(items), per_line):
        chunk = items[start : start + per_line]
        grid.add_row(*(Text(caption, style="dim") for caption, _ in chunk))
        grid.add_row(*(r for _, r in chunk))
    return grid


def _width(renderable: Any) -> int:
    return getattr(renderable, "columns", 10)


def layer_block(activation: Any, width: int, labels: tuple[str, ...]) -> RenderableType:
    """One layer: its row, name, shape and statistics, then its maps or bars."""
    from ....core.views.inside_pictures import grey

    row = activation.row
    shape = "x".join(str(s) for s in activation.shape)
    head = Text.assemble(
        (f"{row.row:>5} ", "bold"),
        (f"{row.name}  ", "bold"),
        f"{shape}  min {activation.minimum:.3g}  max {activation.maximum:.3g}  "
        f"mean {activation.mean:.3g}",
    )
    values = activation.values
    if values.ndim == 3:
        side = 8 if values.shape[2] <= 8 else 14
        items = [(f"{c}", picture(grey(values[c]), side)) for c in range(values.shape[0])]
        return Group(head, captioned(items, width))
    flat = values.reshape(-1)
    if flat.size <= 16:
        names = labels if len(labels) == flat.size else tuple(str(i) for i in range(flat.size))
        return Group(head, bars(flat, names))
    return Group(head, sparkline(flat, width))


def bars(values: Any, names: tuple[str, ...]) -> Text:
    """One labelled bar per value, scaled to the largest |value|."""
    top = max(float(abs(v)) for v in values) or 1.0
    pad = max(len(n) for n in names)
    text = Text()
    for name, value in zip(names, values, strict=True):
        length = round(BAR * abs(float(value)) / top)
        text.append(f"{name:>{pad}} ")
        text.append("█" * length, style="green" if value >= 0 else "red")
        text.append(f" {float(value):.4g}\n")
    text.rstrip()
    return text


def sparkline(values: Any, width: int) -> Text:
    """Many values as one block character each, lowest to highest, wrapped to `width`."""
    low, high = float(values.min()), float(values.max())
    span = (high - low) or 1.0
    chars = "".join(BLOCKS[round((float(v) - low) / span * (len(BLOCKS) - 1))] for v in values)
    step = max(8, width - 6)
    return Text("\n".join(chars[i : i + step] for i in range(0, len(chars), step)))


def probabilities(prediction: Any) -> Text:
    """Every class's probability as a bar, the top-3 marked."""
    top = {c.index for c in prediction.top3}
    names = tuple(str(c) for c in range(len(prediction.probabilities)))
    pad = max(len(n) for n in names)
    text = Text()
    for index, p in enumerate(prediction.probabilities):
        mark = "*" if index in top else " "
        text.append(f"{mark}{names[index]:>{pad}} ")
        text.append("█" * round(BAR * p), style="bold green" if index in top else "green")
        text.append(f" {p:.4f}\n")
    text.rstrip()
    return text


def top3(prediction: Any) -> str:
    return "  ".join(f"{c.name} {c.probability:.3f}" for c in prediction.top3)


def _numbers(grid: Any) -> list[list[str]]:
    return [["-inf" if v == float("-inf") else f"{v:.3f}" for v in row] for row in grid]


def _matrix(cells: list[list[str]], style: str = "") -> Text:
    wide = max(len(v) for row in cells for v in row)
    return Text("\n".join(" ".join(f"{v:>{wide}}" for v in row) for row in cells), style=style)


def cell_pages(trace: Any, height: int) -> int:
    """How many input channels one page of the trace shows in `height` rows."""
    kh = len(trace.rows)
    return max(1, (height - 3) // (kh + 1))


def cell_view(trace: Any, page: int, per_page: int) -> RenderableType:
    """The computation of one cell: the head and total, then one page of input channels."""
    row = trace.layer
    head = Text.assemble(
        ("layer ", "dim"),
        (f"{row.row} {row.name}", "bold"),
        ("  channel ", "dim"),
        str(trace.channel),
        ("  y ", "dim"),
        str(trace.y),
        ("  x ", "dim"),
        str(trace.x),
    )
    equal = abs(trace.total - trace.activation) <= 1e-4 * max(1.0, abs(trace.activation))
    verdict = ("= ", "green") if equal else ("≠ ", "red")
    if trace.kind == "conv":
        count = len(trace.input_channels)
        pages = -(-count // per_page)
        page = max(0, min(page, pages - 1))
        bias = trace.bias if trace.bias is not None else 0.0
        total = Text.assemble(
            f"Σ {count} partial sums {sum(trace.partial_sums):.5f} + bias {bias:.5f} = ",
            (f"{trace.total:.5f}", "bold"),
            "  ",
            verdict,
            f"network {trace.activation:.5f}",
        )
        grid = Table.grid(padding=(0, 2))
        for _ in range(3):
            grid.add_column()
        grid.add_row(Text("input window", "dim"), Text("kernel", "dim"), Text("partial sum", "dim"))
        first = page * per_page
        for k in range(first, min(count, first + per_page)):
            grid.add_row(
                Text(f"in {trace.input_channels[k]}", "bold"),
                Text(""),
                Text(f"{trace.partial_sums[k]:.5f}"),
            )
            grid.add_row(
                _matrix(_numbers(trace.window[k])), _matrix(_numbers(trace.kernel[k]), "cyan"), ""
            )
        note = Text(
            f"input channels {first}-{min(count, first + per_page) - 1} of {count} "
            f"(page {page + 1}/{pages}: < and > turn)",
            style="dim",
        )
        return Group(head, total, grid, note)
    how = "max" if trace.kind == "maxpool" else f"sum / {trace.divisor}"
    total = Text.assemble(
        f"{trace.kind} window, {how} = ",
        (f"{trace.total:.5f}", "bold"),
        "  ",
        verdict,
        f"the network's {trace.activation:.5f}",
    )
    return Group(head, total, _matrix(_numbers(trace.window[0])))
