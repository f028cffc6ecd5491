"""The training-step memory estimate against torch: saved tensors on the CPU, peaks on a GPU."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnn_tui.core.stacks import zoo
from cnn_tui.core.stacks.layers import (
    AdaptiveAvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Dropout2d,
    Flatten,
    Linear,
    LocalResponseNorm,
    MaxPool2d,
    ReLU,
)
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack import Stack
from cnn_tui.core.stacks.tally import Saved, saved_for_backward, saved_parts, tally

torch = pytest.importorskip("torch")

# torch's note that an even 'same'-padded kernel costs a padded copy: true, and counted here
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")

from cnn_tui.core.training.memory_check import (  # noqa: E402 (torch checked above)
    estimated_saved_bytes,
    measure_cuda_step,
    measure_module_saved_bytes,
    measure_saved_bytes,
)

# Small stacks that between them use every layer kind and both kinds of block.
SMALL_STACKS = {
    "seed-mnist": "seed-mnist",
    "lenet5": "lenet5",
    "resnet-like": Stack(
        parse_layers(
            "conv(8,3,p=1,bias=false) bn relu res[conv(8,3,p=1) bn relu conv(8,3,p=1) bn] relu "
            "res[conv(16,3,s=2,p=1) bn relu conv(16,3,p=1) bn | conv(16,1,s=2,bias=false) bn] "
            "relu adaptiveavgpool(1) flatten fc(10)"
        ),
        (3, 16, 16),
    ),
    "every-kind": Stack(
        parse_layers(
            "conv(8,3,p=1) bn relu res[conv(8,3,p=1) bn relu conv(8,3,p=1) bn] relu "
            "cat[conv(4,1) | maxpool(3,s=1,p=1) conv(4,1) | avgpool(3,s=1,p=1)] dropout2d(0.2) "
            "maxpool(2) lrn(3) gelu leakyrelu dense(2,4) adaptiveavgpool(2) flatten dropout(0.3) "
            "fc(10) tanh fc(10) sigmoid bn1d fc(5) softmax"
        ),
        (3, 16, 16),
    ),
    "odd-corners": Stack(
        # an uneven 'same' pad, a no-op dropout, a projection shortcut, pooling to 1x1
        parse_layers(
            "conv(4,2,p=same) conv(4,3,p=same) dropout(0) relu "
            "res[conv(8,3,s=2,p=1) | conv(8,1,s=2)] adaptiveavgpool(1) flatten fc(3) logsoftmax"
        ),
        (3, 9, 9),
    ),
    "no-grad-prefix": Stack(parse_layers("relu maxpool(2) dropout flatten fc(4) relu"), (1, 8, 8)),
}


@pytest.mark.parametrize("name", list(SMALL_STACKS))
@pytest.mark.parametrize("batch", [2, 5])
def test_saved_bytes_equal_what_autograd_keeps_on_the_cpu(name, batch) -> None:
    # exact: the rule follows PyTorch's derivative formulas, and the only CPU/GPU difference (a
    # dropout mask in the dtype rather than one byte) is what device="cpu" describes
    stack = SMALL_STACKS[name]
    assert estimated_saved_bytes(stack, batch, device="cpu") == measure_saved_bytes(stack, batch)


@pytest.mark.parametrize("dtype", ["fp64", "bf16"])
def test_saved_bytes_in_other_dtypes(dtype) -> None:
    # LRN's 3-D average pool has no half-precision CPU kernel, so the every-kind stack is fp64 only
    stack = SMALL_STACKS["resnet-like" if dtype == "bf16" else "every-kind"]
    measured = measure_saved_bytes(stack, 3, dtype)
    assert estimated_saved_bytes(stack, 3, dtype, device="cpu") == measured


def test_tally_reports_the_gpu_figure() -> None:
    stack = Stack(parse_layers("conv(4,3) relu flatten fc(6) dropout fc(3)"), (2, 6, 6))
    result = tally(stack, batch=4)
    assert result.totals.saved_bytes == estimated_saved_bytes(stack, 4, device="cuda")
    # kept: the input (72), the relu's output (64), the dropout's output (6, read by the last fc)
    assert result.totals.saved_activations == 72 + 64 + 6
    parts = saved_parts(result.rows, result.input_shape)
    assert (parts.indices, parts.mask, parts.stats) == (0, 6, 0)
    # a one-byte GPU mask against a four-byte CPU one
    gpu, cpu = parts.bytes(4, "fp32", "cuda"), parts.bytes(4, "fp32", "cpu")
    assert cpu - gpu == 4 * 6 * 3
    assert cpu == measure_saved_bytes(stack, 4)
    with pytest.raises(ValueError, match="device must be one of cuda, cpu"):
        parts.bytes(4, "fp32", "mps")


@pytest.mark.parametrize(
    ("layer", "shape", "rule"),
    [
        (Conv2d(4, 3), (2, 6, 6), Saved(needs_input=True)),
        (Conv2d(4, 2, padding="same"), (2, 6, 6), Saved(numbers=2 * 7 * 7)),
        (ReLU(), (4, 6, 6), Saved(needs_output=True)),
        (MaxPool2d(2), (4, 6, 6), Saved(needs_input=True, indices=4 * 3 * 3)),
        (AdaptiveAvgPool2d(1), (4, 6, 6), Saved()),
        (AdaptiveAvgPool2d(7), (4, 7, 7), Saved(needs_input=True)),
        (BatchNorm2d(), (4, 6, 6), Saved(needs_input=True, stats=8)),
        (LocalResponseNorm(5), (4, 6, 6), Saved(needs_input=True, numbers=8 * 36 + 2 * 144)),
        (Dropout(0.5), (10,), Saved(mask=10)),
        (Dropout(0.0), (10,), Saved(passes_through=True)),
        (Dropout2d(0.5), (4, 6, 6), Saved(numbers=4)),
        (Dropout2d(0.5), (10,), Saved(mask=10)),
        (Flatten(), (4, 6, 6), Saved(passes_through=True)),
        (Linear(3), (10,), Saved(needs_input=True)),
    ],
)
def test_rule_per_layer_kind(layer, shape, rule) -> None:
    assert saved_for_backward(layer, shape, layer.output_shape(shape)) == rule


def test_in_place_relu_keeps_the_same_tensors() -> None:
    # torchvision's ReLU(inplace=True) overwrites the tensor the next layer reads; the set of
    # tensors autograd keeps is the same, so one rule serves both builds
    from torch import nn

    from cnn_tui.core.stacks.torch_bridge import build_module

    stack = SMALL_STACKS["resnet-like"]
    module = build_module(stack)
    before = measure_module_saved_bytes(module, torch.randn(3, *stack.input_shape))
    for parent in module.modules():
        for key, child in parent.named_children():
            if isinstance(child, nn.ReLU):
                setattr(parent, key, nn.ReLU(inplace=True))
    after = measure_module_saved_bytes(module, torch.randn(3, *stack.input_shape))
    assert after == before == estimated_saved_bytes(stack, 3, device="cpu")


@pytest.mark.parametrize("name", ["resnet18", "densenet121", "googlenet"])
def test_torchvision_models_keep_what_the_preset_estimates(name) -> None:
    models = pytest.importorskip("torchvision.models")
    extra = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    torch.manual_seed(0)
    reference = getattr(models, name)(weights=None, **extra)
    shape = (3, 64, 64)
    measured = measure_module_saved_bytes(reference, torch.randn(2, *shape))
    stack = zoo.get_preset(name).stack().with_input(shape)
    assert estimated_saved_bytes(stack, 2, device="cpu") == measured


LAYER_POOL = [
    "conv(4,3,p=1)",
    "conv(4,1,bias=false)",
    "relu",
    "bn",
    "tanh",
    "sigmoid",
    "gelu",
    "leakyrelu",
    "softmax",
    "maxpool(3,s=1,p=1)",
    "avgpool(3,s=1,p=1)",
    "adaptiveavgpool(6)",
    "dropout",
    "dropout2d",
    "lrn(3)",
    "res[conv(4,3,p=1) bn relu]",
    "res[relu | conv(4,1)]",
    "cat[conv(2,1) | conv(2,3,p=1)]",
    "cat[relu | maxpool(3,s=1,p=1)] conv(4,1)",
    "dense(2,2) conv(4,1)",
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(LAYER_POOL), min_size=1, max_size=6))
def test_random_stacks_match_autograd(pool) -> None:
    stack = Stack(parse_layers(" ".join([*pool, "flatten fc(3)"])), (4, 6, 6))
    assert estimated_saved_bytes(stack, 2, device="cpu") == measure_saved_bytes(stack, 2)


def test_measure_cuda_step_needs_a_gpu() -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is present; the gpu tests below measure it")
    with pytest.raises(RuntimeError, match="needs a CUDA device"):
        measure_cuda_step("seed-mnist", 2)
