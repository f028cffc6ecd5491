"""Per-image shapes and per-axis pairs, the size limits, the errors a stack raises, and the
spatial arithmetic (output height and width) that convolution and pooling share."""

from __future__ import annotations

import math
import re
from typing import Any

from ..convolution.arithmetic import (
    ArithmeticError_,
    effective_kernel,
    output_size,
    resolve_padding,
)
from ..plain_text import caret_pointer

MAX_LAYERS = 10_000
"""The most layers a spec may expand to (repeats included)."""

MAX_NESTING = 16
"""The most levels of blocks inside blocks (and of [groups] inside groups in a spec). The zoo
nests one level deep; this is far beyond any real net, and keeps every recursive walk safe."""

MAX_SIZE = 1_000_000
"""The largest whole number a layer setting (channels, kernel, features...) or a side of the
input shape may take: larger ones are typos, and their tallies would be beyond any unit."""

Shape = tuple[int, ...]
"""A per-image shape: (C, H, W) for feature maps, (F,) for feature vectors."""

Pair = tuple[int, int]
"""(height, width) of a kernel, stride, padding or dilation that differs between the axes."""

PAIR_FIELDS = frozenset({"kernel", "stride", "padding", "dilation"})
"""Settings that take one number or a per-axis pair: 1x7 in a spec, [1, 7] in a stack file.
A square pair (3x3) is kept as the plain number, so labels and files stay as they were."""


def per_axis(value: Any) -> tuple[Any, Any]:
    """A setting along (height, width): 3 -> (3, 3), (1, 7) -> (1, 7), 'same' -> twice."""
    if isinstance(value, (tuple, list)):
        first, second = value
        return (first, second)
    return (value, value)


class StackError(ValueError):
    """A stack that cannot be parsed or does not fit its input, with where it went wrong."""

    def __init__(
        self,
        message: str,
        *,
        path: tuple[int, ...] = (),
        label: str = "",
        column: int | None = None,
        source: str = "",
    ) -> None:
        self.reason = message
        """What is wrong, without the location."""
        self.path = path
        """1-based position of the failing layer: (4,) or (5, 1, 2) inside a block."""
        self.label = label
        """The failing layer in spec syntax, e.g. conv(50,5)."""
        self.column = column
        """1-based column in the spec text, for parse errors."""
        self.source = source
        """The spec text that failed to parse."""
        super().__init__(self.describe())

    @property
    def where(self) -> str:
        if self.path:
            return f"layer {'.'.join(str(p) for p in self.path)} {self.label}".rstrip()
        if self.column is not None:
            return f"column {self.column}"
        return ""

    def describe(self) -> str:
        """One line: 'layer 4 conv(50,5): input is 3x3, smaller than the 5x5 kernel'."""
        return f"{self.where}: {self.reason}" if self.where else self.reason

    def pointer(self) -> str:
        """The spec text with a caret under the failing column (empty when not a parse error)."""
        if self.column is None or not self.source:
            return ""
        return caret_pointer(self.source, self.column)


class LayerError(ValueError):
    """Raised by a single layer; the stack walker adds the layer's position and label."""


def format_shape(shape: Shape) -> str:
    """3x224x224 for a feature map, 4096 for a vector."""
    return "x".join(str(s) for s in shape)


def parse_shape(text: str) -> Shape:
    """'3x224x224', '3,224,224', '1 28 28' or '784' -> a shape tuple."""
    parts = [p for p in re.split(r"[x×, ]+", text.strip().lower()) if p]
    if not all(re.fullmatch(r"-?[0-9]+", p) for p in parts):
        raise StackError(f"input shape {_clip(text)!r} is not like 3x224x224 or 784")
    if any(len(p.lstrip("-0")) > len(str(MAX_SIZE)) for p in parts):
        raise StackError(f"input shape {_clip(text)!r}: each side must be at most {MAX_SIZE:,}")
    shape = tuple(int(p) for p in parts)
    if len(shape) not in (1, 3) or min(shape) < 1:
        raise StackError(f"input shape {text!r} must be CxHxW (e.g. 3x224x224) or a feature count")
    if max(shape) > MAX_SIZE:
        raise StackError(f"input shape {text!r}: each side must be at most {MAX_SIZE:,}")
    return shape


def _clip(text: str, limit: int = 30) -> str:
    """Typed text as a message quotes it: cut short when it is very long."""
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _elements(shape: Shape) -> int:
    return math.prod(shape)


def _need_map(shape: Shape, what: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise LayerError(f"{what} needs a CxHxW feature map, got {format_shape(shape)} features")
    return shape


def _spatial(
    sizes: tuple[int, int],
    kernel: int | Pair,
    stride: int | Pair,
    padding: int | Pair | str,
    dilation: int | Pair,
    ceil: bool,
    noun: str,
) -> tuple[int, int]:
    """Output height and width, each axis with its own kernel, stride, padding and dilation."""
    axes = list(
        zip(
            sizes,
            per_axis(kernel),
            per_axis(stride),
            per_axis(padding),
            per_axis(dilation),
            strict=True,
        )
    )
    try:
        pads = [resolve_padding(k, p, d, s) for _, k, s, p, d in axes]
        spans = [effective_kernel(k, d) for _, k, _, _, d in axes]
        padded = [n + before + after for (n, *_), (before, after) in zip(axes, pads, strict=True)]
        # ceil mode lets a window hang over the edge (PyTorch gives 1x1 there)
        if any(room < span for room, span in zip(padded, spans, strict=True)) and not ceil:
            h, w = sizes
            shown = f" (padded {padded[0]}x{padded[1]})" if any(sum(p) for p in pads) else ""
            dilated = any(d > 1 for *_, d in axes)
            kh, kw = spans if dilated else (k for _, k, *_ in axes)
            size = f"{kh}x{kw} dilated " if dilated else f"{kh}x{kw} "
            raise LayerError(f"input is {h}x{w}{shown}, smaller than the {size}{noun}")
        first, second = (output_size(n, k, s, p, d, ceil) for n, k, s, p, d in axes)
        return (first, second)
    except ArithmeticError_ as exc:
        raise LayerError(str(exc)) from None
