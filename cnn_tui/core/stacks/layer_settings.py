"""Layer names and setting values, shared by spec_parser, stack files and the builder form: the
layer types by keyword and their aliases, coercion of a typed or loaded setting, and rebuilding
a layer from its dict form."""

from __future__ import annotations

import math
import re
from dataclasses import fields
from typing import Any

from ..convolution.arithmetic import PADDING_MODES
from .blocks import Block, Branch, Concat, DenseBlock, Residual
from .layers import (
    _REQUIRED,
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Dropout2d,
    Flatten,
    Layer,
    LeakyReLU,
    Linear,
    LocalResponseNorm,
    LogSoftmax,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .shapes import MAX_NESTING, MAX_SIZE, PAIR_FIELDS, Pair, StackError, _clip

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


def non_finite_setting(layer: Layer) -> str | None:
    """The name of a layer's first setting that is nan or infinite (None when there is none)."""
    for item in fields(layer):
        value = getattr(layer, item.name)
        if isinstance(value, float) and not math.isfinite(value):
            return item.name
    return None
