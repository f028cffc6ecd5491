"""Named preset stacks (the lecture's MNIST net, LeNet-5, AlexNet, VGG, ResNet, ...) by name."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .blocks import Concat, DenseBlock, Residual
from .layer_settings import ALIASES, LAYER_TYPES
from .layers import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    Layer,
    Linear,
    LocalResponseNorm,
    LogSoftmax,
    MaxPool2d,
    ReLU,
    Tanh,
)
from .shapes import Shape, StackError
from .spec_parser import parse_layers
from .stack import Stack

DEFAULT_SPEC_INPUT: Shape = (1, 28, 28)
"""Input assumed for a typed spec when none is given: one MNIST digit."""

IMAGENET_INPUT: Shape = (3, 224, 224)


@dataclass(frozen=True)
class Preset:
    """A named, well-known network, described as a stack of layer specs."""

    name: str
    """Lookup key, e.g. 'vgg16_bn'."""
    title: str
    """Display name, e.g. 'VGG-16 with batch norm'."""
    description: str
    """One or two sentences: where the network comes from and what marks it out."""
    input_shape: Shape
    """Per-image input it was designed for, e.g. (3, 224, 224)."""
    classes: int
    """Number of output classes of its classifier."""
    torchvision: str | None
    """The torchvision.models constructor it mirrors layer by layer, or None."""
    build: Callable[[], tuple[Layer, ...]] = field(repr=False, compare=False)
    """Makes the layers; called once, on first use of `layers`."""

    @cached_property
    def layers(self) -> tuple[Layer, ...]:
        # built lazily: the big ones take a moment and most runs look at one preset at most
        return self.build()

    def stack(self) -> Stack:
        return Stack(
            layers=self.layers,
            input_shape=self.input_shape,
            name=self.name,
            description=self.description,
            classes=self.classes,
        )


class UnknownPresetError(StackError, KeyError):
    """No preset has that name; caught as a StackError by the CLI and as a KeyError by lookups."""

    def __str__(self) -> str:
        # KeyError would otherwise print the message quoted, like a dict key
        return self.describe()


# ---------------------------------------------------------------------------------------------
# Small networks
# ---------------------------------------------------------------------------------------------


def _seed_mnist() -> tuple[Layer, ...]:
    return (
        Conv2d(20, 5),
        ReLU(),
        MaxPool2d(2),
        Conv2d(50, 5),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(500),
        ReLU(),
        Linear(10),
        LogSoftmax(),
    )


def _lenet5() -> tuple[Layer, ...]:
    return (
        Conv2d(6, 5),
        Tanh(),
        AvgPool2d(2),
        Conv2d(16, 5),
        Tanh(),
        AvgPool2d(2),
        Flatten(),
        Linear(120),
        Tanh(),
        Linear(84),
        Tanh(),
        Linear(10),
    )


def _vgg_classifier(hidden: int = 4096, classes: int = 1000) -> tuple[Layer, ...]:
    """VGG's head; torchvision's AlexNet puts its dropouts before each fc instead of after."""
    return (
        Linear(hidden),
        ReLU(),
        Dropout(0.5),
        Linear(hidden),
        ReLU(),
        Dropout(0.5),
        Linear(classes),
    )


def _alexnet() -> tuple[Layer, ...]:
    # torchvision's single-GPU variant: 64/192/384/256/256 filters and no normalisation
    return (
        Conv2d(64, 11, stride=4, padding=2),
        ReLU(),
        MaxPool2d(3, stride=2),
        Conv2d(192, 5, padding=2),
        ReLU(),
        MaxPool2d(3, stride=2),
        Conv2d(384, 3, padding=1),
        ReLU(),
        Conv2d(256, 3, padding=1),
        ReLU(),
        Conv2d(256, 3, padding=1),
        ReLU(),
        MaxPool2d(3, stride=2),
        AdaptiveAvgPool2d(6),
        Flatten(),
        Dropout(0.5),
        Linear(4096),
        ReLU(),
        Dropout(0.5),
        Linear(4096),
        ReLU(),
        Linear(1000),
    )


def _alexnet_2012() -> tuple[Layer, ...]:
    lrn = LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
    # groups=2 stands in for the two GPUs: conv2, conv4 and conv5 only saw their own GPU's half
    return (
        Conv2d(96, 11, stride=4),
        ReLU(),
        lrn,
        MaxPool2d(3, stride=2),
        Conv2d(256, 5, padding=2, groups=2),
        ReLU(),
        lrn,
        MaxPool2d(3, stride=2),
        Conv2d(384, 3, padding=1),
        ReLU(),
        Conv2d(384, 3, padding=1, groups=2),
        ReLU(),
        Conv2d(256, 3, padding=1, groups=2),
        ReLU(),
        MaxPool2d(3, stride=2),
        Flatten(),
        Dropout(0.5),
        Linear(4096),
        ReLU(),
        Dropout(0.5),
        Linear(4096),
        ReLU(),
        Linear(1000),
    )


# ---------------------------------------------------------------------------------------------
# VGG
# ---------------------------------------------------------------------------------------------

_VGG_CONFIGS: dict[int, tuple[int | str, ...]] = {
    # numbers are 3x3 conv widths, "M" a 2x2 max pool (configurations A, B, D, E of the paper)
    11: (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    13: (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    16: (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    19: (
        *(64, 64, "M", 128, 128, "M"),
        *(256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"),
    ),
}


def _vgg(depth: int, batch_norm: bool) -> Callable[[], tuple[Layer, ...]]:
    def build() -> tuple[Layer, ...]:
        layers: list[Layer] = []
        for item in _VGG_CONFIGS[depth]:
            if item == "M":
                layers.append(MaxPool2d(2, stride=2))
                continue
            layers.append(Conv2d(int(item), 3, padding=1))
            if batch_norm:
                layers.append(BatchNorm2d())
            layers.append(ReLU())
        return (*layers, AdaptiveAvgPool2d(7), Flatten(), *_vgg_classifier())

    return build


# ---------------------------------------------------------------------------------------------
# ResNet
# ---------------------------------------------------------------------------------------------

_RESNET_STAGES: dict[int, tuple[bool, tuple[int, int, int, int]]] = {
    # depth -> (uses bottleneck blocks, blocks per stage)
    18: (False, (2, 2, 2, 2)),
    34: (False, (3, 4, 6, 3)),
    50: (True, (3, 4, 6, 3)),
    101: (True, (3, 4, 23, 3)),
    152: (True, (3, 8, 36, 3)),
}


def _conv_bn(channels: int, kernel: int, stride: int = 1, padding: int = 0) -> tuple[Layer, ...]:
    return (Conv2d(channels, kernel, stride=stride, padding=padding, bias=False), BatchNorm2d())


def _basic_block(width: int, stride: int, in_channels: int) -> tuple[Residual, int]:
    body = (
        *_conv_bn(width, 3, stride, 1),
        ReLU(),
        *_conv_bn(width, 3, 1, 1),
    )
    return _residual(body, width, stride, in_channels), width


def _bottleneck(width: int, stride: int, in_channels: int) -> tuple[Residual, int]:
    out = width * 4
    # torchvision's v1.5: the stride sits on the 3x3 conv, not on the first 1x1
    body = (
        *_conv_bn(width, 1),
        ReLU(),
        *_conv_bn(width, 3, stride, 1),
        ReLU(),
        *_conv_bn(out, 1),
    )
    return _residual(body, out, stride, in_channels), out


def _residual(body: tuple[Layer, ...], out: int, stride: int, in_channels: int) -> Residual:
    # the identity only fits when the shape is unchanged; otherwise project with a 1x1 conv
    shortcut = _conv_bn(out, 1, stride) if stride != 1 or in_channels != out else ()
    return Residual(body=body, shortcut=shortcut)


def _resnet(depth: int) -> Callable[[], tuple[Layer, ...]]:
    def build() -> tuple[Layer, ...]:
        bottleneck, counts = _RESNET_STAGES[depth]
        block = _bottleneck if bottleneck else _basic_block
        layers: list[Layer] = [
            *_conv_bn(64, 7, 2, 3),
            ReLU(),
            MaxPool2d(3, stride=2, padding=1),
        ]
        channels = 64
        for stage, count in enumerate(counts):
            width = 64 * 2**stage
            for index in range(count):
                stride = 2 if stage > 0 and index == 0 else 1
                residual, channels = block(width, stride, channels)
                layers += [residual, ReLU()]
        return (*layers, AdaptiveAvgPool2d(1), Flatten(), Linear(1000))

    return build


# ---------------------------------------------------------------------------------------------
# GoogLeNet
# ---------------------------------------------------------------------------------------------


def _basic_conv(channels: int, kernel: int, stride: int = 1, padding: int = 0) -> tuple[Layer, ...]:
    # torchvision's BasicConv2d: no conv bias (the batch norm shift replaces it), eps 0.001
    return (
        Conv2d(channels, kernel, stride=stride, padding=padding, bias=False),
        BatchNorm2d(eps=0.001),
        ReLU(),
    )


def _inception(
    ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int, pool_proj: int
) -> Concat:
    return Concat(
        paths=(
            _basic_conv(ch1x1, 1),
            (*_basic_conv(ch3x3red, 1), *_basic_conv(ch3x3, 3, padding=1)),
            # torchvision's "5x5" branch really uses a 3x3 kernel; mirrored so weights load
            (*_basic_conv(ch5x5red, 1), *_basic_conv(ch5x5, 3, padding=1)),
            (MaxPool2d(3, stride=1, padding=1, ceil_mode=True), *_basic_conv(pool_proj, 1)),
        )
    )


def _googlenet() -> tuple[Layer, ...]:
    def pool(kernel: int = 3) -> MaxPool2d:
        return MaxPool2d(kernel, stride=2, ceil_mode=True)

    return (
        *_basic_conv(64, 7, stride=2, padding=3),
        pool(),
        *_basic_conv(64, 1),
        *_basic_conv(192, 3, padding=1),
        pool(),
        _inception(64, 96, 128, 16, 32, 32),
        _inception(128, 128, 192, 32, 96, 64),
        pool(),
        _inception(192, 96, 208, 16, 48, 64),
        _inception(160, 112, 224, 24, 64, 64),
        _inception(128, 128, 256, 24, 64, 64),
        _inception(112, 144, 288, 32, 64, 64),
        _inception(256, 160, 320, 32, 128, 128),
        pool(2),
        _inception(256, 160, 320, 32, 128, 128),
        _inception(384, 192, 384, 48, 128, 128),
        AdaptiveAvgPool2d(1),
        Flatten(),
        Dropout(0.2),
        Linear(1000),
    )


# ---------------------------------------------------------------------------------------------
# DenseNet
# ---------------------------------------------------------------------------------------------


def _densenet(
    blocks: tuple[int, ...], growth: int = 32, stem: int = 64
) -> Callable[[], tuple[Layer, ...]]:
    def build() -> tuple[Layer, ...]:
        layers: list[Layer] = [*_conv_bn(stem, 7, 2, 3), ReLU(), MaxPool2d(3, stride=2, padding=1)]
        channels = stem
        for number, count in enumerate(blocks, start=1):
            layers.append(DenseBlock(count, growth))
            channels += count * growth
            if number < len(blocks):
                # a transition halves both the channels and the map between dense blocks
                channels //= 2
                layers += [
                    BatchNorm2d(),
                    ReLU(),
                    Conv2d(channels, 1, bias=False),
                    AvgPool2d(2, stride=2),
                ]
        return (*layers, BatchNorm2d(), ReLU(), AdaptiveAvgPool2d(1), Flatten(), Linear(1000))

    return build


# ---------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------


def _vgg_presets() -> list[Preset]:
    presets = []
    for batch_norm in (False, True):
        for depth in _VGG_CONFIGS:
            suffix = "_bn" if batch_norm else ""
            presets.append(
                Preset(
                    name=f"vgg{depth}{suffix}",
                    title=f"VGG-{depth}" + (" with batch norm" if batch_norm else ""),
                    description=(
                        f"Simonyan and Zisserman's {depth}-layer network from Oxford (2014): "
                        "nothing but stacked 3x3 convolutions and 2x2 max pools, then three "
                        "big fully connected layers."
                        + (
                            " A batch norm after every convolution, added later by torchvision."
                            if batch_norm
                            else ""
                        )
                    ),
                    input_shape=IMAGENET_INPUT,
                    classes=1000,
                    torchvision=f"vgg{depth}{suffix}",
                    build=_vgg(depth, batch_norm),
                )
            )
    return presets


def _resnet_presets() -> list[Preset]:
    return [
        Preset(
            name=f"resnet{depth}",
            title=f"ResNet-{depth}",
            description=(
                f"He et al.'s {depth}-layer residual network (Microsoft Research, 2015): each "
                + ("bottleneck (1x1, 3x3, 1x1 convs)" if bottleneck else "pair of 3x3 convs")
                + " learns a correction added to its own input, so very deep stacks still train."
            ),
            input_shape=IMAGENET_INPUT,
            classes=1000,
            torchvision=f"resnet{depth}",
            build=_resnet(depth),
        )
        for depth, (bottleneck, _) in _RESNET_STAGES.items()
    ]


def _all_presets() -> list[Preset]:
    return [
        Preset(
            name="seed-mnist",
            title="Lecture MNIST net",
            description=(
                "The small network from the lecture's PyTorch MNIST example: two 5x5 conv and "
                "max-pool stages, then a 500-unit hidden layer and ten log-probabilities."
            ),
            input_shape=(1, 28, 28),
            classes=10,
            torchvision=None,
            build=_seed_mnist,
        ),
        Preset(
            name="lenet5",
            title="LeNet-5",
            description=(
                "LeCun et al.'s handwritten-digit reader (1998): 5x5 convolutions and 2x2 "
                "average-pool subsampling with tanh units, on 32x32 padded digits."
            ),
            input_shape=(1, 32, 32),
            classes=10,
            torchvision=None,
            build=_lenet5,
        ),
        Preset(
            name="alexnet",
            title="AlexNet (torchvision)",
            description=(
                "The one-GPU AlexNet that torchvision ships, after Krizhevsky's 2014 'one weird "
                "trick' variant: fewer filters in the first layers and no response normalisation."
            ),
            input_shape=IMAGENET_INPUT,
            classes=1000,
            torchvision="alexnet",
            build=_alexnet,
        ),
        Preset(
            name="alexnet-2012",
            title="AlexNet (2012 paper)",
            description=(
                "Krizhevsky, Sutskever and Hinton's ImageNet winner of 2012 as published: ReLUs, "
                "local response normalisation, dropout, and grouped convs where the net was split "
                "across two GPUs."
            ),
            input_shape=(3, 227, 227),
            classes=1000,
            torchvision=None,
            build=_alexnet_2012,
        ),
        *_vgg_presets(),
        *_resnet_presets(),
        Preset(
            name="googlenet",
            title="GoogLeNet",
            description=(
                "Szegedy et al.'s 22-layer ILSVRC 2014 winner from Google: nine Inception modules "
                "run 1x1, 3x3 and pooling branches side by side (torchvision's version, with "
                "batch norm and without the auxiliary classifiers)."
            ),
            input_shape=IMAGENET_INPUT,
            classes=1000,
            torchvision="googlenet",
            build=_googlenet,
        ),
        Preset(
            name="densenet121",
            title="DenseNet-121",
            description=(
                "Huang et al.'s densely connected network (2017): inside each dense block every "
                "layer reads all earlier feature maps and adds 32 channels of its own."
            ),
            input_shape=IMAGENET_INPUT,
            classes=1000,
            torchvision="densenet121",
            build=_densenet((6, 12, 24, 16)),
        ),
    ]


PRESETS: dict[str, Preset] = {preset.name: preset for preset in _all_presets()}
"""Every preset by its canonical name, in the order a menu should list them."""


def _key(name: str) -> str:
    # 'VGG-16', 'vgg16_bn', 'VGG16-BN' and 'ResNet 50' all find their preset
    return re.sub(r"[\s_-]+", "", name.lower())


_BY_KEY: dict[str, Preset] = {_key(name): preset for name, preset in PRESETS.items()}


def get_preset(name: str) -> Preset:
    """The preset called name (case, '-', '_' and spaces ignored); else UnknownPresetError."""
    preset = _BY_KEY.get(_key(name))
    if preset is None:
        raise UnknownPresetError(_unknown_message(name))
    return preset


def _unknown_message(name: str, what: str = "a preset") -> str:
    close = difflib.get_close_matches(_key(name), list(_BY_KEY), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(_BY_KEY[k].name for k in close)}?" if close else ""
    return f"{name!r} is not {what}{hint} (presets: {', '.join(PRESETS)})"


def _is_layer_name(word: str) -> bool:
    word = word.lower()
    return word in LAYER_TYPES or word in ALIASES


def _looks_like_a_path(text: str) -> bool:
    """'x.pt', 'runs/net', '~/a.txt': meant as a file, not a spec (a spec has no '/' and no
    word.ext; 'dropout(0.5)' keeps its dot inside brackets)."""
    return "/" in text or bool(re.fullmatch(r"~?[\w.-]*\.[A-Za-z][A-Za-z0-9]{0,4}", text))


def _not_a_stack_file(path: Path) -> str:
    if not path.exists():
        return f"{path}: no such file (stack files end in .json; or give a preset or a spec)"
    return f"{path}: not a stack file (stack files are .json files, as the builder saves them)"


def resolve_stack(text: str, input_shape: Shape | None = None) -> Stack:
    """A preset name, a .json stack file or a one-line spec -> a Stack; input_shape overrides."""
    text = text.strip()
    if _key(text) in _BY_KEY:
        stack = get_preset(text).stack()
    elif text.lower().endswith(".json"):
        # imported here: stack files are only needed when someone names one
        from .stack_file import load_stack

        stack = load_stack(Path(text))
    else:
        try:
            layers = parse_layers(text)
        except StackError:
            if _looks_like_a_path(text):
                raise StackError(_not_a_stack_file(Path(text).expanduser())) from None
            if re.fullmatch(r"[A-Za-z][\w-]*", text) and not _is_layer_name(text):
                # a lone word that is no layer was most likely meant as a preset name
                raise UnknownPresetError(
                    _unknown_message(text, "a preset or a layer"), source=text
                ) from None
            raise
        stack = Stack(layers=layers, input_shape=DEFAULT_SPEC_INPUT)
    return stack.with_input(input_shape) if input_shape is not None else stack
