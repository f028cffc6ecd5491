"""One cell of a conv or pool layer, computed by hand from the layer's real input and weights:
the window across the input channels it reads, the kernel, the products, each channel's partial
sum, the bias and the total, beside the activation the network itself computed there."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .activations import Forward
from .network import InspectError, LayerRow, Network

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class CellTrace:
    """The computation behind activation [channel, y, x] of one layer.

    Conv: window (Cin, kh, kw) of the previous activations (zeros where the kernel overhangs
    the padded edge), kernel (Cin, kh, kw), products = window * kernel, partial_sums one per
    input channel, total = sum(products) + bias. Pool: window (1, kh, kw) of the channel, the
    padded places being -inf for max and 0 for average; total = their max or their mean
    (divided by `divisor`)."""

    layer: LayerRow
    kind: str
    """'conv', 'maxpool', 'avgpool' or 'adaptiveavgpool'."""
    channel: int
    y: int
    x: int
    input_channels: tuple[int, ...]
    """The input channels the window covers (a grouped conv reads only its group's)."""
    rows: tuple[int, ...]
    """Input row of each window row (outside 0..H-1: padding)."""
    cols: tuple[int, ...]
    window: np.ndarray = field(compare=False, repr=False)
    kernel: np.ndarray | None = field(compare=False, repr=False)
    products: np.ndarray | None = field(compare=False, repr=False)
    partial_sums: tuple[float, ...]
    """Conv: the sum of each input channel's products. Pool: empty."""
    bias: float | None
    divisor: int | None
    """Average pooling's count (padding counted or not, as the layer says)."""
    total: float
    """What the numbers above add up to, computed here in float64."""
    activation: float
    """The value the network computed at this cell (a forward hook)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer.row,
            "channel": self.channel,
            "y": self.y,
            "x": self.x,
            "window": self.window.tolist(),
            "kernel": None if self.kernel is None else self.kernel.tolist(),
            "bias": self.bias,
            "sum": self.total,
            "activation": self.activation,
        }


def parse_cell(text: str) -> tuple[str, int, int, int]:
    """'LAYER,C,Y,X' (LAYER as summary numbers it: '4' or '5.1.2') -> its four parts."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4 or not parts[0]:
        raise InspectError(f"--cell {text!r}: expected LAYER,C,Y,X such as 1,0,3,4")
    try:
        c, y, x = (int(p) for p in parts[1:])
    except ValueError:
        raise InspectError(f"--cell {text!r}: C, Y and X are whole numbers") from None
    return parts[0], c, y, x


def trace_cell(network: Network, seen: Forward, layer: str, c: int, y: int, x: int) -> CellTrace:
    """The trace of one cell of a forward pass (no new pass: a screen opens cells at once);
    InspectError for a layer that is not a conv or pool, or a cell outside its output."""
    import torch

    from ..stacks.torch_bridge import module_at

    row = network.row(layer)
    module = module_at(network.model, row.path)
    if not isinstance(module, (torch.nn.Conv2d, *_pools())):
        traceable = ", ".join(r.row for r in network.rows if r.kind in TRACEABLE)
        raise InspectError(
            f"layer {row.row} is {row.name}: cell traces are for conv and pool layers "
            f"({traceable or 'this network has none'})"
        )
    out = seen.layer(row.row).values
    channels, height, width = out.shape
    for name, value, size in (("channel", c, channels), ("y", y, height), ("x", x, width)):
        if not 0 <= value < size:
            raise InspectError(
                f"--cell {name} {value} is outside layer {row.row} ({row.name}): 0 to {size - 1}"
            )
    source = seen.layer(row.row).inputs.astype("float64")
    activation = float(out[c, y, x])
    if isinstance(module, torch.nn.Conv2d):
        return _conv(row, module, source, c, y, x, activation)
    return _pool(row, module, source, (c, y, x), out.shape[1:], activation)


TRACEABLE = ("conv", "maxpool", "avgpool", "adaptiveavgpool")


def _pools() -> tuple[type, ...]:
    from torch import nn

    return (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _gather(source: np.ndarray, rows: list[int], cols: list[int], fill: float) -> np.ndarray:
    """source[:, rows][:, :, cols] with `fill` where a row or column is outside the input."""
    import numpy as np

    channels, height, width = source.shape
    window = np.full((channels, len(rows), len(cols)), fill, dtype=np.float64)
    for i, r in enumerate(rows):
        for j, q in enumerate(cols):
            if 0 <= r < height and 0 <= q < width:
                window[:, i, j] = source[:, r, q]
    return window


def _conv(
    row: LayerRow, module: Any, source: np.ndarray, c: int, y: int, x: int, activation: float
) -> CellTrace:
    kh, kw = _pair(module.kernel_size)
    sh, sw = _pair(module.stride)
    dh, dw = _pair(module.dilation)
    if isinstance(module.padding, str):
        # 'valid' is no padding; 'same' puts the smaller half first, as torch does
        top = (dh * (kh - 1)) // 2 if module.padding == "same" else 0
        left = (dw * (kw - 1)) // 2 if module.padding == "same" else 0
    else:
        top, left = _pair(module.padding)
    rows = [y * sh - top + i * dh for i in range(kh)]
    cols = [x * sw - left + j * dw for j in range(kw)]
    per_group_in = module.in_channels // module.groups
    group = c // (module.out_channels // module.groups)
    inputs = tuple(range(group * per_group_in, (group + 1) * per_group_in))
    window = _gather(source[list(inputs)], rows, cols, 0.0)
    kernel = module.weight[c].detach().double().numpy()
    products = window * kernel
    partial = tuple(float(p.sum()) for p in products)
    bias = float(module.bias[c]) if module.bias is not None else 0.0
    return CellTrace(
        layer=row,
        kind="conv",
        channel=c,
        y=y,
        x=x,
        input_channels=inputs,
        rows=tuple(rows),
        cols=tuple(cols),
        window=window,
        kernel=kernel,
        products=products,
        partial_sums=partial,
        bias=bias if module.bias is not None else None,
        divisor=None,
        total=math.fsum(partial) + bias,
        activation=activation,
    )


def _pool(
    row: LayerRow,
    module: Any,
    source: np.ndarray,
    cell: tuple[int, int, int],
    out_size: tuple[int, ...],
    activation: float,
) -> CellTrace:
    import torch

    c, y, x = cell
    height, width = source.shape[1:]
    plane = source[c : c + 1]
    divisor: int | None = None
    if isinstance(module, torch.nn.AdaptiveAvgPool2d):
        # torch's adaptive windows: floor(i * H / out) to ceil((i + 1) * H / out)
        oh, ow = out_size
        rows = list(range((y * height) // oh, -((-(y + 1) * height) // oh)))
        cols = list(range((x * width) // ow, -((-(x + 1) * width) // ow)))
        window = _gather(plane, rows, cols, 0.0)
        divisor = len(rows) * len(cols)
        total, kind = float(window.sum()) / divisor, "adaptiveavgpool"
    else:
        kh, kw = _pair(module.kernel_size)
        sh, sw = _pair(module.stride)
        ph, pw = _pair(module.padding)
        dh, dw = _pair(getattr(module, "dilation", 1))
        rows = [y * sh - ph + i * dh for i in range(kh)]
        cols = [x * sw - pw + j * dw for j in range(kw)]
        if isinstance(module, torch.nn.MaxPool2d):
            window = _gather(plane, rows, cols, -math.inf)
            total, kind = float(window.max()), "maxpool"
        else:
            window = _gather(plane, rows, cols, 0.0)
            divisor = _avg_divisor(module, rows[0], cols[0], (kh, kw), (height, width), (ph, pw))
            total, kind = float(window.sum()) / divisor, "avgpool"
    return CellTrace(
        layer=row,
        kind=kind,
        channel=c,
        y=y,
        x=x,
        input_channels=(c,),
        rows=tuple(rows),
        cols=tuple(cols),
        window=window,
        kernel=None,
        products=None,
        partial_sums=(),
        bias=None,
        divisor=divisor,
        total=total,
        activation=activation,
    )


def _avg_divisor(
    module: Any,
    top: int,
    left: int,
    kernel: tuple[int, int],
    size: tuple[int, int],
    padding: tuple[int, int],
) -> int:
    """torch's avg_pool2d divisor: the window clipped to the padded input, or to the input
    itself when padding is not counted (a ceil_mode window may overhang both)."""
    if module.divisor_override:
        return int(module.divisor_override)
    spans = []
    for start, k, n, p in zip((top, left), kernel, size, padding, strict=True):
        end = min(start + k, n + p)
        padded = end - start
        inside = min(end, n) - max(start, 0)
        spans.append((padded, inside))
    if module.count_include_pad:
        return spans[0][0] * spans[1][0]
    return spans[0][1] * spans[1][1]
