"""Layer specs: the Layer base record and the plain layer types (conv, pooling, activations,
norms, dropout, flatten, fully connected, softmax); blocks live in blocks, the one-line spec
syntax in spec_parser."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from ..convolution.arithmetic import (
    ParamCount,
    conv_params,
    linear_params,
    resolve_padding,
)
from .shapes import (
    PAIR_FIELDS,
    LayerError,
    Pair,
    Shape,
    _elements,
    _need_map,
    _spatial,
    format_shape,
    per_axis,
)


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


def _squared(value: Any) -> Any:
    """A pair as the layer keeps it: a tuple, or the plain number when both sides agree."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        first, second = value
        return first if first == second else (first, second)
    return value


def _keep_pairs_square(layer: Layer) -> None:
    """Pairs as tuples, and a square pair as its plain number: Conv2d(8, (3, 3)) == Conv2d(8, 3)."""
    for name in PAIR_FIELDS:
        value = getattr(layer, name, None)
        if isinstance(value, (tuple, list)):
            object.__setattr__(layer, name, _squared(value))


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
