"""Layer and block specs, their settings, and shape inference through a stack (the one-line
spec syntax is read in spec_parser)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

from ..convolution.arithmetic import (
    PADDING_MODES,
    ArithmeticError_,
    ParamCount,
    conv_params,
    effective_kernel,
    linear_params,
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


def _squared(value: Any) -> Any:
    """A pair as the layer keeps it: a tuple, or the plain number when both sides agree."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        first, second = value
        return first if first == second else (first, second)
    return value


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


def _fmt(value: Any) -> str:
    if isinstance(value, tuple):
        return "x".join(_fmt(v) for v in value)  # a per-axis pair: 1x7
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # the short form when it is exact, else repr; the parser reads 1e20 but not 1e+20
        text = f"{value:g}" if float(f"{value:g}") == value else repr(value)
        return text.replace("e+", "e")
    return str(value)


@dataclass(frozen=True)
class Layer:
    """Base of every layer spec: a frozen description, not a module with weights."""

    kind: ClassVar[str] = ""
    """The spec keyword, e.g. 'conv'."""
    positional: ClassVar[tuple[str, ...]] = ()
    """Fields that may be given without a name, in order."""
    named_only: ClassVar[tuple[str, ...]] = ()
    """Fields once also taken without a name after the positional ones (conv's stride and
    padding): now refused there with a hint, since conv(64,1,7) read as stride 7 surprised
    people who meant a 1x7 kernel."""
    short_names: ClassVar[dict[str, str]] = {}
    """Short keyword aliases accepted and written by the spec syntax (s=stride...)."""
    pointwise: ClassVar[bool] = False
    """True for element-wise layers that keep the receptive field and (in-place) memory."""

    def output_shape(self, shape: Shape) -> Shape:
        return shape

    def params(self, shape: Shape) -> ParamCount:
        return ParamCount(0, 0)

    def buffers(self, shape: Shape) -> int:
        """Non-trainable stored numbers (batch-norm running statistics)."""
        return 0

    def macs(self, shape: Shape, out: Shape) -> int:
        return 0

    def geometry(self, axis: int = 0) -> tuple[int, int, int, int] | None:
        """(kernel, stride, padding before, dilation) along axis 0 (height) or 1 (width), for
        receptive-field arithmetic."""
        return None

    @property
    def is_block(self) -> bool:
        return False

    def args(self) -> list[str]:
        """Spec-syntax arguments: required (and leading plain) ones bare, the rest as key=value."""
        out: list[str] = []
        bare = True
        aliases = {v: k for k, v in self.short_names.items()}
        for f in fields(self):
            value = getattr(self, f.name)
            required = f.default is _REQUIRED
            if not required and value == f.default:
                if f.name in self.positional:
                    bare = False
                continue
            if bare and f.name in self.positional and (required or f.name not in aliases):
                out.append(_fmt(value))
            else:
                bare = bare and required
                out.append(f"{aliases.get(f.name, f.name)}={_fmt(value)}")
        return out

    def label(self) -> str:
        """The layer in spec syntax, e.g. conv(64,3,p=1)."""
        args = self.args()
        return f"{self.kind}({','.join(args)})" if args else self.kind

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.kind}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != f.default or f.default is _REQUIRED:
                # a per-axis pair is stored as a JSON list [h, w]
                data[f.name] = list(value) if isinstance(value, tuple) else value
        return data


class _Required:
    def __repr__(self) -> str:
        return "<required>"


_REQUIRED: Any = _Required()
"""Marks a field that has no default (positional and required)."""


def is_required_value(value: Any) -> bool:
    """Whether a layer field's default (or a value) is the 'no default: must be given' marker."""
    return value is _REQUIRED


@dataclass(frozen=True)
class Conv2d(Layer):
    """A 2-D convolution; input channels are inferred from the incoming shape."""

    kind: ClassVar[str] = "conv"
    positional: ClassVar[tuple[str, ...]] = ("out_channels", "kernel")
    named_only: ClassVar[tuple[str, ...]] = ("stride", "padding")
    short_names: ClassVar[dict[str, str]] = {
        "k": "kernel",
        "s": "stride",
        "p": "padding",
        "d": "dilation",
        "g": "groups",
    }
    out_channels: int = _REQUIRED
    """Number of filters K."""
    kernel: int | Pair = _REQUIRED
    """Kernel side F, or (height, width) for a rectangular kernel such as 1x7."""
    stride: int | Pair = 1
    padding: int | Pair | str = 0
    """Zero padding per side (or per axis: 0x3), or 'valid' / 'same' / 'full'."""
    dilation: int | Pair = 1
    groups: int = 1
    bias: bool = True

    def __post_init__(self) -> None:
        _keep_pairs_square(self)

    def output_shape(self, shape: Shape) -> Shape:
        c, h, w = _need_map(shape, "conv")
        if c % self.groups or self.out_channels % self.groups:
            raise LayerError(
                f"groups={self.groups} must divide the {c} input and "
                f"{self.out_channels} output channels"
            )
        return (
            self.out_channels,
            *_spatial(
                (h, w), self.kernel, self.stride, self.padding, self.dilation, False, "kernel"
            ),
        )

    def params(self, shape: Shape) -> ParamCount:
        kernel = per_axis(self.kernel)
        return conv_params(kernel, shape[0], self.out_channels, self.groups, self.bias)

    def macs(self, shape: Shape, out: Shape) -> int:
        return _elements(out) * math.prod(per_axis(self.kernel)) * (shape[0] // self.groups)

    def geometry(self, axis: int = 0) -> tuple[int, int, int, int]:
        kernel, stride, padding, dilation = (
            per_axis(value)[axis]
            for value in (self.kernel, self.stride, self.padding, self.dilation)
        )
        before, _ = resolve_padding(kernel, padding, dilation, stride)
        return (kernel, stride, before, dilation)


def _keep_pairs_square(layer: Layer) -> None:
    """Pairs as tuples, and a square pair as its plain number: Conv2d(8, (3, 3)) == Conv2d(8, 3)."""
    for name in PAIR_FIELDS:
        value = getattr(layer, name, None)
        if isinstance(value, (tuple, list)):
            object.__setattr__(layer, name, _squared(value))


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


@dataclass(frozen=True)
class _Pool(Layer):
    positional: ClassVar[tuple[str, ...]] = ("kernel",)
    named_only: ClassVar[tuple[str, ...]] = ("stride", "padding")
    short_names: ClassVar[dict[str, str]] = {"k": "kernel", "s": "stride", "p": "padding"}
    kernel: int | Pair = _REQUIRED
    """Window side F, or (height, width) for a rectangular window such as 3x1."""
    stride: int | Pair | None = None
    """Defaults to the kernel size, as in PyTorch."""
    padding: int | Pair = 0
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        _keep_pairs_square(self)

    @property
    def step(self) -> int | Pair:
        return self.stride if self.stride is not None else self.kernel

    def output_shape(self, shape: Shape) -> Shape:
        c, h, w = _need_map(shape, self.kind)
        if isinstance(self.padding, str):
            raise LayerError(
                f"pooling has no {self.padding!r} padding: give a number of cells, "
                "at most half the window"
            )
        pairs = zip(per_axis(self.padding), per_axis(self.kernel), strict=True)
        if any(padding * 2 > kernel for padding, kernel in pairs):
            raise LayerError(
                f"padding {_fmt(self.padding)} is more than half the {_fmt(self.kernel)} window"
            )
        return (
            c,
            *_spatial((h, w), self.kernel, self.step, self.padding, 1, self.ceil_mode, "window"),
        )

    def geometry(self, axis: int = 0) -> tuple[int, int, int, int]:
        kernel, stride, padding = (
            per_axis(v)[axis] for v in (self.kernel, self.step, self.padding)
        )
        return (kernel, stride, padding, 1)


@dataclass(frozen=True)
class MaxPool2d(_Pool):
    """Max pooling: each channel keeps the largest value of every window."""

    kind: ClassVar[str] = "maxpool"


@dataclass(frozen=True)
class AvgPool2d(_Pool):
    """Average pooling: each channel keeps the mean of every window."""

    kind: ClassVar[str] = "avgpool"
    count_include_pad: bool = True


@dataclass(frozen=True)
class AdaptiveAvgPool2d(Layer):
    """Average pooling to a fixed output size, whatever the input size."""

    kind: ClassVar[str] = "adaptiveavgpool"
    positional: ClassVar[tuple[str, ...]] = ("output",)
    output: int = 1
    """Output side: 1 for global average pooling."""

    def output_shape(self, shape: Shape) -> Shape:
        c, _, _ = _need_map(shape, "adaptiveavgpool")
        return (c, self.output, self.output)

    def geometry(self, axis: int = 0) -> tuple[int, int, int, int] | None:
        return None


@dataclass(frozen=True)
class ReLU(Layer):
    """max(0, x), element-wise."""

    kind: ClassVar[str] = "relu"
    pointwise: ClassVar[bool] = True


@dataclass(frozen=True)
class LeakyReLU(Layer):
    """x for x > 0, slope * x otherwise."""

    kind: ClassVar[str] = "leakyrelu"
    positional: ClassVar[tuple[str, ...]] = ("slope",)
    pointwise: ClassVar[bool] = True
    slope: float = 0.01


@dataclass(frozen=True)
class Tanh(Layer):
    """Hyperbolic tangent, element-wise."""

    kind: ClassVar[str] = "tanh"
    pointwise: ClassVar[bool] = True


@dataclass(frozen=True)
class Sigmoid(Layer):
    """Logistic sigmoid, element-wise."""

    kind: ClassVar[str] = "sigmoid"
    pointwise: ClassVar[bool] = True


@dataclass(frozen=True)
class GELU(Layer):
    """Gaussian error linear unit, element-wise."""

    kind: ClassVar[str] = "gelu"
    pointwise: ClassVar[bool] = True


@dataclass(frozen=True)
class _BatchNorm(Layer):
    eps: float = 1e-5
    momentum: float = 0.1

    def params(self, shape: Shape) -> ParamCount:
        # gamma counts as weights, beta as biases (as torch names them)
        return ParamCount(shape[0], shape[0])

    def buffers(self, shape: Shape) -> int:
        return 2 * shape[0]


@dataclass(frozen=True)
class BatchNorm2d(_BatchNorm):
    """Per-channel normalisation of a feature map, then a learned scale and shift."""

    kind: ClassVar[str] = "bn"

    def output_shape(self, shape: Shape) -> Shape:
        _need_map(shape, "bn")
        return shape


@dataclass(frozen=True)
class BatchNorm1d(_BatchNorm):
    """Per-feature normalisation of a feature vector, then a learned scale and shift."""

    kind: ClassVar[str] = "bn1d"

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) != 1:
            raise LayerError(f"bn1d needs a feature vector, got {format_shape(shape)}; use bn")
        return shape


@dataclass(frozen=True)
class LocalResponseNorm(Layer):
    """AlexNet's normalisation across neighbouring channels."""

    kind: ClassVar[str] = "lrn"
    positional: ClassVar[tuple[str, ...]] = ("size",)
    size: int = 5
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0

    def output_shape(self, shape: Shape) -> Shape:
        _need_map(shape, "lrn")
        return shape


@dataclass(frozen=True)
class Dropout(Layer):
    """Zeroes each unit with probability p while training."""

    kind: ClassVar[str] = "dropout"
    positional: ClassVar[tuple[str, ...]] = ("p",)
    pointwise: ClassVar[bool] = True
    p: float = 0.5

    def output_shape(self, shape: Shape) -> Shape:
        if not 0 <= self.p <= 1:
            raise LayerError(f"p must lie between 0 and 1, got {self.p:g}")
        return shape


@dataclass(frozen=True)
class Dropout2d(Dropout):
    """Zeroes whole channels with probability p while training."""

    kind: ClassVar[str] = "dropout2d"


@dataclass(frozen=True)
class Flatten(Layer):
    """CxHxW -> C*H*W features."""

    kind: ClassVar[str] = "flatten"

    def output_shape(self, shape: Shape) -> Shape:
        return (_elements(shape),)


@dataclass(frozen=True)
class Linear(Layer):
    """A fully connected layer; input features are inferred."""

    kind: ClassVar[str] = "fc"
    positional: ClassVar[tuple[str, ...]] = ("out_features",)
    out_features: int = _REQUIRED
    bias: bool = True

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) != 1:
            raise LayerError(
                f"fc needs a feature vector, got a {format_shape(shape)} map; add flatten first"
            )
        if self.out_features < 1:
            raise LayerError(f"out_features must be at least 1, got {self.out_features}")
        return (self.out_features,)

    def params(self, shape: Shape) -> ParamCount:
        return linear_params(shape[0], self.out_features, self.bias)

    def macs(self, shape: Shape, out: Shape) -> int:
        return shape[0] * self.out_features


@dataclass(frozen=True)
class Softmax(Layer):
    """Turns scores into probabilities over the channel/feature axis."""

    kind: ClassVar[str] = "softmax"
    pointwise: ClassVar[bool] = True


@dataclass(frozen=True)
class LogSoftmax(Layer):
    """Log of softmax, the lecture's final layer before the NLL loss."""

    kind: ClassVar[str] = "logsoftmax"
    pointwise: ClassVar[bool] = True


Branch = tuple[Layer, ...]


@dataclass(frozen=True)
class Block(Layer):
    """A layer made of branches of layers."""

    @property
    def is_block(self) -> bool:
        return True

    def branches(self) -> tuple[Branch, ...]:
        raise NotImplementedError

    def label(self) -> str:
        inner = " | ".join(format_layers(b) if b else "id" for b in self.branches())
        args = self.args()
        head = f"{self.kind}({','.join(args)})" if args else self.kind
        return f"{head}[{inner}]"

    def walk_children(self, shape: Shape, path: tuple[int, ...], depth: int) -> Iterator[Placed]:
        raise NotImplementedError


@dataclass(frozen=True)
class Residual(Block):
    """y = body(x) + shortcut(x): identity shortcut when it is empty, a projection otherwise."""

    kind: ClassVar[str] = "res"
    body: Branch = ()
    shortcut: Branch = ()
    """Empty for the identity; typically conv(K,1,s=2,bias=false) bn for a projection."""

    def args(self) -> list[str]:
        return []

    def branches(self) -> tuple[Branch, ...]:
        return (self.body, self.shortcut) if self.shortcut else (self.body,)

    def output_shape(self, shape: Shape) -> Shape:
        out = _branch_shape(self.body, shape, 1)
        short = _branch_shape(self.shortcut, shape, 2)
        if out != short:
            what = "projection shortcut" if self.shortcut else "identity shortcut"
            raise LayerError(
                f"body gives {format_shape(out)} but the {what} gives {format_shape(short)}"
                + ("" if self.shortcut else "; add a projection: | conv(K,1,s=S) bn")
            )
        return out

    def walk_children(self, shape: Shape, path: tuple[int, ...], depth: int) -> Iterator[Placed]:
        for number, branch in enumerate(self.branches(), start=1):
            yield from walk(branch, shape, (*path, number), depth + 1)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.kind, "body": [x.to_dict() for x in self.body]}
        if self.shortcut:
            data["shortcut"] = [x.to_dict() for x in self.shortcut]
        return data


@dataclass(frozen=True)
class Concat(Block):
    """Parallel branches joined along channels, as in an Inception module."""

    kind: ClassVar[str] = "cat"
    paths: tuple[Branch, ...] = ()

    def args(self) -> list[str]:
        return []

    def branches(self) -> tuple[Branch, ...]:
        return self.paths

    def output_shape(self, shape: Shape) -> Shape:
        if not self.paths:
            raise LayerError("cat needs at least one branch")
        outs = [_branch_shape(b, shape, i) for i, b in enumerate(self.paths, start=1)]
        first = outs[0]
        for number, out in enumerate(outs[1:], start=2):
            if len(out) != 3 or out[1:] != first[1:]:
                raise LayerError(
                    f"branch {number} gives {format_shape(out)}, branch 1 gives "
                    f"{format_shape(first)}: their heights and widths must match"
                )
        return (sum(o[0] for o in outs), *first[1:])

    def walk_children(self, shape: Shape, path: tuple[int, ...], depth: int) -> Iterator[Placed]:
        for number, branch in enumerate(self.paths, start=1):
            yield from walk(branch, shape, (*path, number), depth + 1)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "branches": [[x.to_dict() for x in b] for b in self.paths]}


@dataclass(frozen=True)
class DenseBlock(Block):
    """DenseNet block: each layer sees every earlier output, concatenated on channels."""

    kind: ClassVar[str] = "dense"
    positional: ClassVar[tuple[str, ...]] = ("layers", "growth", "bn_size")
    layers: int = _REQUIRED
    """How many dense layers."""
    growth: int = _REQUIRED
    """Channels each layer adds (k in the paper)."""
    bn_size: int = 4
    """Bottleneck width as a multiple of growth."""
    drop_rate: float = 0.0

    def label(self) -> str:
        return Layer.label(self)

    def dense_layer(self) -> Branch:
        """One dense layer: bn relu conv1x1 bn relu conv3x3 (and dropout when asked)."""
        body: list[Layer] = [
            BatchNorm2d(),
            ReLU(),
            Conv2d(self.bn_size * self.growth, 1, bias=False),
            BatchNorm2d(),
            ReLU(),
            Conv2d(self.growth, 3, padding=1, bias=False),
        ]
        if self.drop_rate:
            body.append(Dropout(self.drop_rate))
        return tuple(body)

    def branches(self) -> tuple[Branch, ...]:
        return tuple(self.dense_layer() for _ in range(self.layers))

    def output_shape(self, shape: Shape) -> Shape:
        c, h, w = _need_map(shape, "dense")
        if self.layers < 1 or self.growth < 1:
            raise LayerError("dense needs at least 1 layer and a growth of at least 1")
        return (c + self.layers * self.growth, h, w)

    def walk_children(self, shape: Shape, path: tuple[int, ...], depth: int) -> Iterator[Placed]:
        c, h, w = shape
        for number, branch in enumerate(self.branches(), start=1):
            yield from walk(
                branch, (c + (number - 1) * self.growth, h, w), (*path, number), depth + 1
            )


def _branch_shape(branch: Branch, shape: Shape, number: int) -> Shape:
    for index, layer in enumerate(branch, start=1):
        try:
            shape = layer.output_shape(shape)
        except LayerError as exc:
            raise LayerError(f"branch {number}, layer {index} {layer.label()}: {exc}") from None
    return shape


@dataclass(frozen=True)
class Placed:
    """One layer placed in a stack: where it sits and the shapes around it."""

    path: tuple[int, ...]
    """1-based position; longer inside blocks: (block, branch, layer)."""
    layer: Layer
    input_shape: Shape
    output_shape: Shape
    depth: int = 0
    """0 for top-level layers, 1 inside a block, ..."""

    @property
    def number(self) -> str:
        return ".".join(str(p) for p in self.path)


def walk(
    layers: Sequence[Layer], shape: Shape, path: tuple[int, ...] = (), depth: int = 0
) -> Iterator[Placed]:
    """Every layer in order (blocks before their children), raising StackError where one fails."""
    for index, layer in enumerate(layers, start=1):
        here = (*path, index)
        # a block's children go first, so a failure inside names the inner layer's own path
        children = list(layer.walk_children(shape, here, depth)) if isinstance(layer, Block) else []
        try:
            out = layer.output_shape(shape)
        except LayerError as exc:
            raise StackError(str(exc), path=here, label=_short_label(layer)) from None
        yield Placed(here, layer, shape, out, depth)
        yield from children
        shape = out


def _short_label(layer: Layer) -> str:
    label = layer.label()
    return label if len(label) <= 40 else f"{layer.kind}[...]"


def infer_output(layers: Sequence[Layer], shape: Shape) -> Shape:
    """The stack's output shape (raises StackError naming the failing layer)."""
    for placed in walk(layers, shape):
        if placed.depth == 0:
            shape = placed.output_shape
    return shape


def format_layers(layers: Sequence[Layer]) -> str:
    """The one-line spec of a stack; parse_layers(format_layers(x)) == x."""
    return " ".join(layer.label() for layer in layers)


def nesting_depth(layers: Sequence[Layer]) -> int:
    """Levels of blocks inside each other: 0 for plain layers, 1 for resnet's blocks. Counted
    without recursion, so a stack nested far too deep is measured, not a RecursionError."""
    deepest = 0
    pending = [(layer, 1) for layer in layers]
    while pending:
        layer, level = pending.pop()
        if not isinstance(layer, Block):
            continue
        deepest = max(deepest, level)
        if not isinstance(layer, DenseBlock):  # a dense block's generated layers hold no blocks
            pending.extend((child, level + 1) for branch in layer.branches() for child in branch)
    return deepest


def row_count(layers: Sequence[Layer]) -> int:
    """Rows of a tally of these layers: every layer, every block with its insides, a dense
    block's generated layers too. Counted once per distinct layer object, so that
    res[relu*9000]*9000 (one block, referenced 9000 times) is counted at once, not walked."""
    known: dict[int, int] = {}

    def rows(layer: Layer) -> int:
        if id(layer) not in known:
            if isinstance(layer, DenseBlock):
                known[id(layer)] = 1 + layer.layers * len(layer.dense_layer())
            elif isinstance(layer, Block):
                inside = sum(rows(child) for branch in layer.branches() for child in branch)
                known[id(layer)] = 1 + inside
            else:
                known[id(layer)] = 1
        return known[id(layer)]

    return sum(rows(layer) for layer in layers)


def non_finite_setting(layer: Layer) -> str | None:
    """The name of a layer's first setting that is nan or infinite (None when there is none)."""
    for item in fields(layer):
        value = getattr(layer, item.name)
        if isinstance(value, float) and not math.isfinite(value):
            return item.name
    return None


# ---------------------------------------------------------------------------------------------
# Layer names and setting values (shared by spec_parser, stack files and the builder form)
# ---------------------------------------------------------------------------------------------

LAYER_TYPES: dict[str, type[Layer]] = {
    cls.kind: cls
    for cls in (
        Conv2d,
        MaxPool2d,
        AvgPool2d,
        AdaptiveAvgPool2d,
        ReLU,
        LeakyReLU,
        Tanh,
        Sigmoid,
        GELU,
        BatchNorm2d,
        BatchNorm1d,
        LocalResponseNorm,
        Dropout,
        Dropout2d,
        Flatten,
        Linear,
        Softmax,
        LogSoftmax,
        Residual,
        Concat,
        DenseBlock,
    )
}

ALIASES: dict[str, str] = {
    "conv2d": "conv",
    "linear": "fc",
    "dense_block": "dense",
    "pool": "maxpool",
    "maxpool2d": "maxpool",
    "avgpool2d": "avgpool",
    "gap": "adaptiveavgpool",
    "adaptiveavgpool2d": "adaptiveavgpool",
    "batchnorm": "bn",
    "batchnorm2d": "bn",
    "batchnorm1d": "bn1d",
    "residual": "res",
    "concat": "cat",
    "inception": "cat",
    "leaky_relu": "leakyrelu",
    "log_softmax": "logsoftmax",
    "localresponsenorm": "lrn",
}

_INT_FIELDS = {
    "out_channels",
    "kernel",
    "stride",
    "dilation",
    "groups",
    "output",
    "size",
    "out_features",
    "layers",
    "growth",
    "bn_size",
}
_BOOL_FIELDS = {"bias", "ceil_mode", "count_include_pad"}
_MAX_OF = {"layers": 1_000}
"""Tighter limits than MAX_SIZE: a dense block's layers each become 6-7 rows (DenseNet's biggest
block has 64), so a million of them would take minutes to tally."""


def coerce(key: str, value: Any) -> Any:
    """Turn a typed or loaded value into the field's type, with a message when it cannot."""
    text = str(value).lower()
    if key in _BOOL_FIELDS:
        if isinstance(value, bool):
            return value
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        raise ValueError(f"expected true or false, got {value!r}")
    if key == "padding" and text in PADDING_MODES:
        return text
    if key == "stride" and value is None:
        return None
    if key in PAIR_FIELDS:
        return _number_or_pair(key, value)
    if key in _INT_FIELDS:
        return _whole_number(key, value)
    if isinstance(value, str) and not value.isascii():
        # float() takes full-width digits ('０.５'); a spec or file says numbers in ASCII
        raise ValueError(f"expected a number, got {_clip(repr(value))}")
    try:
        number = float(value)
    except OverflowError:  # an int from a JSON file too big for a float
        raise ValueError(f"expected a finite number, got {_clip(repr(value))}") from None
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, got {_clip(repr(value))}") from None
    if not math.isfinite(number):
        # nan and inf pass float() but no layer can use them (and PyTorch source cannot hold them)
        raise ValueError(f"expected a finite number, got {_clip(repr(value))}")
    return number


def _number_or_pair(key: str, value: Any) -> int | Pair:
    """A kernel, stride, padding or dilation: a whole number, or a pair '1x7' / [1, 7] of
    (height, width); a square pair becomes the plain number."""
    text = str(value).strip().lower()
    if isinstance(value, (list, tuple)):
        sides = list(value)
    elif isinstance(value, str) and re.fullmatch(r"[-0-9]+(?:[x×][-0-9]+)+", text):
        sides = re.split(r"[x×]", text)
    else:
        return _whole_number(key, value, " or valid/same/full" if key == "padding" else "")
    if len(sides) != 2:
        shown = "an [h, w] pair" if isinstance(value, (list, tuple)) else "a pair like 1x7"
        raise ValueError(f"expected a whole number or {shown}, got {_clip(repr(value))}")
    height, width = (_whole_number(key, side) for side in sides)
    return height if height == width else (height, width)


def _whole_number(key: str, value: Any, extra: str = "") -> int:
    """A whole number within the field's limits (extra: the other words it may be)."""
    text = str(value).lower()
    if isinstance(value, bool) or not re.fullmatch(r"-?[0-9]+", text):
        raise ValueError(f"expected a whole number{extra}, got {_clip(repr(value))}")
    least = 0 if key == "padding" else 1
    # the length first: int() of thousands of digits is slow, and such a size is a typo
    if len(text.lstrip("-0")) > len(str(MAX_SIZE)):
        number = -MAX_SIZE - 1 if text.startswith("-") else MAX_SIZE + 1
    else:
        number = int(text)
    if number < least:
        raise ValueError(f"must be at least {least}, got {_clip(text)}")
    most = _MAX_OF.get(key, MAX_SIZE)
    if number > most:
        raise ValueError(f"must be at most {most:,}, got {_clip(text)}")
    return number


def layer_from_dict(data: Any, where: str = "layer", depth: int = 0) -> Layer:
    """Rebuild a layer from its to_dict() form, naming the field at fault.

    depth: how many blocks hold this layer; a block deeper than MAX_NESTING is refused."""
    if not isinstance(data, dict) or "type" not in data:
        raise StackError(f"{where}: expected an object with a 'type'")
    kind = ALIASES.get(str(data["type"]).lower(), str(data["type"]).lower())
    cls = LAYER_TYPES.get(kind)
    if cls is None:
        raise StackError(f"{where}: unknown layer type {_clip(repr(data['type']))}")
    if issubclass(cls, Block) and depth >= MAX_NESTING:
        # named by the top-level layer: the full path would be 17 steps long
        top = where.split(".", 1)[0]
        raise StackError(f"{top}: blocks nested more than {MAX_NESTING} levels deep")
    if cls is Residual:
        body = _branch_from_list(data.get("body"), f"{where}.body", depth + 1)
        short = _branch_from_list(data.get("shortcut", []), f"{where}.shortcut", depth + 1)
        if not body:
            raise StackError(f"{where}: res needs a non-empty body")
        return Residual(body=body, shortcut=short)
    if cls is Concat:
        raw = data.get("branches")
        if not isinstance(raw, list) or not raw:
            raise StackError(f"{where}: cat needs a list of branches")
        paths = tuple(
            _branch_from_list(b, f"{where}.branches[{i}]", depth + 1) for i, b in enumerate(raw)
        )
        if not all(paths):
            raise StackError(f"{where}: cat branches must not be empty")
        return Concat(paths=paths)
    known = {f.name for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "type":
            continue
        if key not in known:
            raise StackError(f"{where} ({kind}): unknown setting {key!r}")
        try:
            kwargs[key] = coerce(key, value)
        except ValueError as exc:
            raise StackError(f"{where} ({kind}) {key}: {exc}") from None
    missing = [f.name for f in fields(cls) if f.default is _REQUIRED and f.name not in kwargs]
    if missing:
        raise StackError(f"{where} ({kind}): missing {', '.join(missing)}")
    return cls(**kwargs)


def _branch_from_list(data: Any, where: str, depth: int) -> Branch:
    if not isinstance(data, list):
        raise StackError(f"{where}: expected a list of layers")
    return tuple(layer_from_dict(item, f"{where}[{i}]", depth) for i, item in enumerate(data))


@dataclass(frozen=True)
class Stack:
    """A named stack of layers with the input shape it is meant for."""

    layers: tuple[Layer, ...]
    input_shape: Shape
    """Per-image input, e.g. (3, 224, 224)."""
    name: str = ""
    description: str = ""
    classes: int | None = field(default=None, compare=False)
    """Number of output classes, when the stack ends in a classifier."""

    @property
    def spec(self) -> str:
        return format_layers(self.layers)

    def output_shape(self) -> Shape:
        return infer_output(self.layers, self.input_shape)

    def with_input(self, shape: Shape) -> Stack:
        return replace(self, input_shape=shape)
