"""Tests for the preset zoo: exact parameter counts, layer-by-layer agreement with torchvision."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from cnn_tui.core.stacks.blocks import walk
from cnn_tui.core.stacks.layers import Layer, LocalResponseNorm
from cnn_tui.core.stacks.shapes import StackError, format_shape
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack import Stack
from cnn_tui.core.stacks.zoo import PRESETS, Preset, UnknownPresetError, get_preset, resolve_stack

EXPECTED_PARAMS = {
    "seed-mnist": 431_080,
    "lenet5": 61_706,
    "alexnet": 61_100_840,
    "alexnet-2012": 60_965_224,
    "vgg11": 132_863_336,
    "vgg13": 133_047_848,
    "vgg16": 138_357_544,
    "vgg19": 143_667_240,
    "vgg11_bn": 132_868_840,
    "vgg13_bn": 133_053_736,
    "vgg16_bn": 138_365_992,
    "vgg19_bn": 143_678_248,
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
    "googlenet": 6_624_904,
    "densenet121": 7_978_856,
}

TORCHVISION_PRESETS = [p for p in PRESETS.values() if p.torchvision]
SEQUENTIAL = {"alexnet", *(f"vgg{d}{bn}" for d in (11, 13, 16, 19) for bn in ("", "_bn"))}
"""Plain nn.Sequential models: every module torchvision calls has a layer here in the same place."""

TORCH_KINDS = {
    "Conv2d": "conv",
    "BatchNorm2d": "bn",
    "Linear": "fc",
    "MaxPool2d": "maxpool",
    "AvgPool2d": "avgpool",
    "ReLU": "relu",
    "Dropout": "dropout",
    "AdaptiveAvgPool2d": "adaptiveavgpool",
}
WEIGHTED_AND_POOLING = {"conv", "bn", "fc", "maxpool", "avgpool"}
"""Compared in every model; activations are often torch functions that no hook sees."""


def leaf_layers(stack: Stack) -> list[Any]:
    return [p for p in walk(stack.layers, stack.input_shape) if not p.layer.is_block]


def total_params(stack: Stack) -> int:
    return sum(p.layer.params(p.input_shape).total for p in leaf_layers(stack))


def _pair(value: Any) -> int:
    return value[0] if isinstance(value, tuple) else value


def our_settings(layer: Layer) -> tuple[Any, ...]:
    """The settings torchvision also records, for a like-for-like comparison."""
    kind = layer.kind
    if kind == "conv":
        return (
            layer.kernel,
            layer.stride,
            layer.padding,
            layer.dilation,
            layer.groups,
            layer.bias,
        )  # type: ignore[attr-defined]
    if kind == "bn":
        return (layer.eps,)  # type: ignore[attr-defined]
    if kind in ("maxpool", "avgpool"):
        return (layer.kernel, layer.step, layer.padding, layer.ceil_mode)  # type: ignore[attr-defined]
    if kind == "fc":
        return (layer.bias,)  # type: ignore[attr-defined]
    if kind == "dropout":
        return (layer.p,)  # type: ignore[attr-defined]
    return ()


def torch_settings(kind: str, module: Any) -> tuple[Any, ...]:
    if kind == "conv":
        return (
            _pair(module.kernel_size),
            _pair(module.stride),
            _pair(module.padding),
            _pair(module.dilation),
            module.groups,
            module.bias is not None,
        )
    if kind == "bn":
        return (module.eps,)
    if kind in ("maxpool", "avgpool"):
        stride = module.stride if module.stride is not None else module.kernel_size
        return (
            _pair(module.kernel_size),
            _pair(stride),
            _pair(module.padding),
            module.ceil_mode,
        )
    if kind == "fc":
        return (module.bias is not None,)
    if kind == "dropout":
        return (module.p,)
    return ()


def our_rows(stack: Stack, kinds: set[str]) -> list[tuple[Any, ...]]:
    return [
        (
            p.layer.kind,
            p.output_shape,
            p.layer.params(p.input_shape).total,
            our_settings(p.layer),
        )
        for p in leaf_layers(stack)
        if p.layer.kind in kinds
    ]


def torch_rows(torch: Any, model: Any, input_shape: tuple[int, ...], kinds: set[str]) -> Any:
    """(kind, output shape, parameters, settings) of each hooked module, in call order."""
    rows: list[tuple[Any, ...]] = []
    handles = []
    for module in model.modules():
        kind = TORCH_KINDS.get(type(module).__name__)
        if kind in kinds:

            def hook(mod: Any, _inputs: Any, output: Any, kind: str = kind) -> None:
                params = sum(p.numel() for p in mod.parameters(recurse=False))
                rows.append(
                    (kind, tuple(output.shape[1:]), params, torch_settings(kind, mod)),
                )

            handles.append(module.register_forward_hook(hook))
    with torch.no_grad():
        output = model(torch.empty(1, *input_shape, device="meta"))
    for handle in handles:
        handle.remove()
    return rows, tuple(output.shape[1:])


def build_torchvision(torch: Any, preset: Preset) -> Any:
    import torchvision

    extra = (
        {"aux_logits": False, "init_weights": False} if preset.torchvision == "googlenet" else {}
    )
    # meta tensors have shapes but no storage: even VGG builds and runs in milliseconds
    with torch.device("meta"):
        model = getattr(torchvision.models, preset.torchvision)(weights=None, **extra)
    return model.eval()


# ---------------------------------------------------------------------------------------------
# Counts and shapes, engine only
# ---------------------------------------------------------------------------------------------


def test_every_preset_has_an_expected_count() -> None:
    assert set(EXPECTED_PARAMS) == set(PRESETS)


@pytest.mark.parametrize("name", list(EXPECTED_PARAMS))
def test_parameter_total_is_exact(name: str) -> None:
    assert total_params(get_preset(name).stack()) == EXPECTED_PARAMS[name]


@pytest.mark.parametrize("preset", list(PRESETS.values()), ids=list(PRESETS))
def test_preset_metadata_and_output(preset: Preset) -> None:
    stack = preset.stack()
    assert stack.name == preset.name
    assert stack.description == preset.description
    assert stack.classes == preset.classes
    assert stack.input_shape == preset.input_shape
    assert stack.output_shape() == (preset.classes,)
    assert preset.title and preset.description.endswith(".")
    assert preset.layers is preset.layers  # built once, then cached


@pytest.mark.parametrize("preset", list(PRESETS.values()), ids=list(PRESETS))
def test_spec_round_trips(preset: Preset) -> None:
    stack = preset.stack()
    assert parse_layers(stack.spec) == stack.layers


def test_seed_mnist_shapes_follow_the_lecture() -> None:
    stack = get_preset("seed-mnist").stack()
    shapes = [format_shape(p.output_shape) for p in leaf_layers(stack)]
    assert shapes == [
        "20x24x24",
        "20x24x24",
        "20x12x12",
        "50x8x8",
        "50x8x8",
        "50x4x4",
        "800",
        "500",
        "500",
        "10",
        "10",
    ]
    assert stack.spec.startswith("conv(20,5) relu maxpool(2) conv(50,5)")
    assert stack.spec.endswith("fc(500) relu fc(10) logsoftmax")


def test_lenet5_subsamples_32_to_5() -> None:
    stack = get_preset("lenet5").stack()
    maps = [p.output_shape for p in leaf_layers(stack) if p.layer.kind in ("conv", "avgpool")]
    assert maps == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5)]


def test_alexnet_2012_matches_the_paper() -> None:
    stack = get_preset("alexnet-2012").stack()
    convs = [p for p in leaf_layers(stack) if p.layer.kind == "conv"]
    assert [p.output_shape for p in convs] == [
        (96, 55, 55),
        (256, 27, 27),
        (384, 13, 13),
        (384, 13, 13),
        (256, 13, 13),
    ]
    assert [p.layer.groups for p in convs] == [1, 2, 1, 2, 2]
    lrns = [layer for layer in stack.layers if isinstance(layer, LocalResponseNorm)]
    assert lrns == [LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)] * 2
    kinds = [layer.kind for layer in stack.layers[:8]]
    assert kinds == ["conv", "relu", "lrn", "maxpool", "conv", "relu", "lrn", "maxpool"]
    flatten = next(p for p in leaf_layers(stack) if p.layer.kind == "flatten")
    assert flatten.output_shape == (9216,)
    assert not any(p.layer.kind == "adaptiveavgpool" for p in leaf_layers(stack))


def test_resnet_blocks_and_shortcuts() -> None:
    layers = get_preset("resnet50").layers
    blocks = [layer for layer in layers if layer.kind == "res"]
    assert len(blocks) == 3 + 4 + 6 + 3
    # a projection opens each stage (stage 1 too: 64 -> 256 channels); the rest are identities
    projected = [i for i, block in enumerate(blocks) if block.shortcut]  # type: ignore[attr-defined]
    assert projected == [0, 3, 7, 13]
    # every Residual is followed by its own ReLU
    for index, layer in enumerate(layers):
        if layer.kind == "res":
            assert layers[index + 1].kind == "relu"
    # v1.5: the stride-2 of a downsampling bottleneck is on its 3x3 conv
    body = blocks[3].body  # type: ignore[attr-defined]
    convs = [layer for layer in body if layer.kind == "conv"]
    assert [(c.kernel, c.stride) for c in convs] == [(1, 1), (3, 2), (1, 1)]


def test_densenet_transitions_halve_channels() -> None:
    stack = get_preset("densenet121").stack()
    top = [p for p in walk(stack.layers, stack.input_shape) if p.depth == 0]
    dense = [p.output_shape for p in top if p.layer.kind == "dense"]
    pools = [p.output_shape for p in top if p.layer.kind == "avgpool"]
    assert dense == [(256, 56, 56), (512, 28, 28), (1024, 14, 14), (1024, 7, 7)]
    assert pools == [(128, 28, 28), (256, 14, 14), (512, 7, 7)]


def test_googlenet_inception_outputs() -> None:
    stack = get_preset("googlenet").stack()
    top = [p for p in walk(stack.layers, stack.input_shape) if p.depth == 0]
    channels = [p.output_shape[0] for p in top if p.layer.kind == "cat"]
    assert channels == [256, 480, 512, 512, 512, 528, 832, 832, 1024]


def test_stack_overrides_input_shape() -> None:
    stack = resolve_stack("vgg16", input_shape=(3, 64, 64))
    assert stack.input_shape == (3, 64, 64)
    # the adaptive pool makes the head independent of the input size
    assert total_params(stack) == EXPECTED_PARAMS["vgg16"]


# ---------------------------------------------------------------------------------------------
# Names and resolution
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("vgg16-bn", "vgg16_bn"),
        ("VGG16_BN", "vgg16_bn"),
        ("vgg16 bn", "vgg16_bn"),
        (" Seed_MNIST ", "seed-mnist"),
        ("alexnet_2012", "alexnet-2012"),
        ("ResNet50", "resnet50"),
        ("ResNet-50", "resnet50"),
        ("VGG-16", "vgg16"),
    ],
)
def test_get_preset_normalises_names(text: str, name: str) -> None:
    assert get_preset(text) is PRESETS[name]


def test_unknown_preset_lists_known_names() -> None:
    with pytest.raises(UnknownPresetError) as info:
        get_preset("vgg17")
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, StackError)
    message = str(info.value)
    assert message.startswith("'vgg17' is not a preset; did you mean vgg")
    for name in PRESETS:
        assert name in message
    with pytest.raises(KeyError):
        get_preset("")


def test_resolve_stack_preset() -> None:
    stack = resolve_stack("resnet-18")
    assert stack == PRESETS["resnet18"].stack()
    assert stack.name == "resnet18"


def test_resolve_stack_spec_defaults_to_mnist_input() -> None:
    stack = resolve_stack("conv(8,3) relu flatten fc(10)")
    assert stack.input_shape == (1, 28, 28)
    assert stack.output_shape() == (10,)
    assert resolve_stack("conv(8,3) relu", input_shape=(3, 32, 32)).output_shape() == (8, 30, 30)


def test_resolve_stack_spec_errors_stay_spec_errors() -> None:
    with pytest.raises(StackError, match="conv needs out_channels") as info:
        resolve_stack("conv")
    assert not isinstance(info.value, KeyError)
    with pytest.raises(StackError, match="unknown layer 'vgg17'") as info:
        resolve_stack("conv(8,3) vgg17")
    # a lone unknown word is treated as a mistyped preset name
    with pytest.raises(UnknownPresetError, match="'resnet51' is not a preset or a layer"):
        resolve_stack("resnet51")


def test_resolve_stack_file(tmp_path: Any) -> None:
    from cnn_tui.core.stacks.stack_file import save_stack

    path = save_stack(get_preset("lenet5").stack(), tmp_path / "mine.json")
    loaded = resolve_stack(str(path))
    assert loaded.layers == PRESETS["lenet5"].layers
    assert loaded.input_shape == (1, 32, 32)
    assert resolve_stack(str(path), input_shape=(1, 28, 28)).input_shape == (1, 28, 28)
    with pytest.raises(StackError, match="no such file"):
        resolve_stack(str(tmp_path / "missing.json"))


def test_zoo_imports_nothing_heavy() -> None:
    code = (
        "import sys, cnn_tui.core.stacks.zoo as z; z.PRESETS['vgg16'].stack(); "
        "bad = [m for m in ('torch', 'torchvision', 'textual', 'rich', "
        "'cnn_tui.core.stacks.stack_file') if m in sys.modules]; print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------
# Against torchvision
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", TORCHVISION_PRESETS, ids=[p.name for p in TORCHVISION_PRESETS])
def test_matches_torchvision_layer_by_layer(preset: Preset) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision")
    model = build_torchvision(torch, preset)
    stack = preset.stack()
    assert sum(p.numel() for p in model.parameters()) == total_params(stack)

    kinds = set(TORCH_KINDS.values()) if preset.name in SEQUENTIAL else WEIGHTED_AND_POOLING
    theirs, output = torch_rows(torch, model, stack.input_shape, kinds)
    ours = our_rows(stack, kinds)
    assert len(ours) == len(theirs)
    for index, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
        assert mine == other, f"row {index}: ours {mine}, torchvision {other}"
    assert output == stack.output_shape()
    if preset.name in SEQUENTIAL:
        # torchvision flattens with a function call, so flatten is the only layer no hook saw
        unmatched = [p.layer.kind for p in leaf_layers(stack) if p.layer.kind not in kinds]
        assert unmatched == ["flatten"]
