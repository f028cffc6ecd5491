"""The torch bridge: built modules and exported source agree with the engine's shapes and counts."""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnn_tui.core.stacks.blocks import Concat, infer_output, walk
from cnn_tui.core.stacks.layers import AvgPool2d, Conv2d, MaxPool2d
from cnn_tui.core.stacks.shapes import StackError
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack import Stack

torch = pytest.importorskip("torch")

# torch's own note that an even 'same'-padded kernel costs a padded copy: true, and not ours
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")

from cnn_tui.core.stacks import (  # noqa: E402
    torch_bridge,
    torch_modules,
    zoo,
)
from cnn_tui.core.stacks.torch_bridge import (  # noqa: E402
    build_module,
    count_parameters,
    engine_parameter_count,
    export_source,
    module_at,
)

MNIST = (
    "conv(20,5) relu maxpool(2) conv(50,5) relu maxpool(2) flatten fc(500) relu fc(10) logsoftmax"
)

STACKS: dict[str, tuple[str, tuple[int, ...]]] = {
    "mnist": (MNIST, (1, 28, 28)),
    "residual": (
        "conv(16,3,p=1) bn relu "
        "res[conv(16,3,p=1,bias=false) bn relu conv(16,3,p=1,bias=false) bn] relu "
        "res[conv(32,3,s=2,p=1,bias=false) bn relu conv(32,3,p=1,bias=false) bn"
        " | conv(32,1,s=2,bias=false) bn] relu adaptiveavgpool flatten fc(10)",
        (3, 32, 32),
    ),
    "inception": (
        "conv(32,3,p=1) relu "
        "cat[conv(16,1) | conv(8,1) relu conv(16,3,p=1) | conv(4,1) conv(8,5,p=2)"
        " | maxpool(3,s=1,p=1) conv(8,1)] maxpool(2) flatten fc(10) softmax",
        (3, 16, 16),
    ),
    "dense": (
        "conv(24,3,p=1,bias=false) dense(4,12) bn relu conv(36,1) avgpool(2,s=2) "
        "dense(2,12,bn_size=2,drop_rate=0.2) adaptiveavgpool(2) flatten dropout(0.3) "
        "fc(20) bn1d relu fc(5) logsoftmax",
        (3, 16, 16),
    ),
    "alexnet-ish": (
        "conv(48,11,s=4,p=2) relu lrn(5,alpha=0.0002,k=2) maxpool(3,s=2) "
        "conv(64,5,p=2,g=2) relu dropout2d(0.1) maxpool(3,s=2,ceil_mode=true) "
        "flatten fc(32) tanh fc(8) sigmoid",
        (3, 67, 67),
    ),
    "padding-modes": (
        "conv(8,3,p=same,d=2) leakyrelu(0.2) conv(8,4,p=same) gelu conv(8,3,p=full,d=2) "
        "conv(8,5,p=valid) avgpool(3,s=2,p=1,ceil_mode=true,count_include_pad=false) "
        "conv(16,3,g=4,bias=false) maxpool(2,ceil_mode=true) flatten",
        (4, 20, 20),
    ),
    "vector": ("fc(64) bn1d leakyrelu dropout2d(0.5) fc(10,bias=false) softmax", (32,)),
    "nested": (
        "conv(8,3,p=1) cat[res[conv(8,3,p=1) relu] | dense(2,4,bn_size=1) | avgpool(3,s=1,p=1)] "
        "res[cat[conv(4,1) | conv(16,3,p=1)] bn | conv(20,1)] flatten",
        (3, 8, 8),
    ),
}


def _stack(name: str) -> tuple[tuple, tuple[int, ...]]:
    spec, shape = STACKS[name]
    return parse_layers(spec), shape


def _leaf_output_shapes(module, layers, shape, device="cpu") -> dict[str, tuple]:
    """Every placed layer's output shape as torch saw it, via a forward hook on its module."""
    seen: dict[str, tuple] = {}
    handles = []
    for placed in walk(layers, shape):

        def record(_module, _inputs, output, number=placed.number):
            seen[number] = tuple(output.shape[1:])

        handles.append(module_at(module, placed.path).register_forward_hook(record))
    try:
        with torch.no_grad():
            module(torch.randn(2, *shape, device=device))
    finally:
        for handle in handles:
            handle.remove()
    return seen


# ---------------------------------------------------------------------------------------------
# build_module
# ---------------------------------------------------------------------------------------------


def test_mnist_net_has_the_lecture_parameter_count():
    layers, shape = _stack("mnist")
    module = build_module(layers, shape)
    assert count_parameters(module) == engine_parameter_count(layers, shape) == 431_080
    assert [type(m).__name__ for m in module] == [
        "Conv2d",
        "ReLU",
        "MaxPool2d",
        "Conv2d",
        "ReLU",
        "MaxPool2d",
        "Flatten",
        "Linear",
        "ReLU",
        "Linear",
        "LogSoftmax",
    ]
    assert module[7].in_features == 800


@pytest.mark.parametrize("name", list(STACKS))
def test_built_module_matches_engine_params_and_output(name):
    layers, shape = _stack(name)
    module = build_module(layers, shape).eval()
    assert count_parameters(module) == engine_parameter_count(layers, shape)
    with torch.no_grad():
        out = module(torch.randn(2, *shape))
    assert tuple(out.shape) == (2, *infer_output(layers, shape))


@pytest.mark.parametrize("name", list(STACKS))
def test_every_layer_output_shape_matches_engine(name):
    layers, shape = _stack(name)
    module = build_module(layers, shape).eval()
    seen = _leaf_output_shapes(module, layers, shape)
    expected = {p.number: p.output_shape for p in walk(layers, shape)}
    assert seen == expected


def test_build_module_maps_settings_onto_torch():
    layers = parse_layers(
        "conv(8,3,p=full,d=2,bias=false) conv(8,3,p=same) conv(8,3,p=valid) "
        "avgpool(3,s=2,p=1,ceil_mode=true,count_include_pad=false) lrn(3,alpha=0.001,beta=0.5,k=2)"
        " bn(eps=0.001,momentum=0.01) flatten dropout2d(0.25)"
    )
    module = build_module(layers, (2, 9, 9))
    full, same, valid, pool, lrn, bn, _, drop = module
    assert full.padding == (4, 4) and full.dilation == (2, 2) and full.bias is None
    assert same.padding == "same" and valid.padding == "valid"
    assert (pool.kernel_size, pool.stride, pool.padding) == (3, 2, 1)
    assert pool.ceil_mode and not pool.count_include_pad
    assert (lrn.size, lrn.alpha, lrn.beta, lrn.k) == (3, 0.001, 0.5, 2.0)
    assert (bn.eps, bn.momentum) == (0.001, 0.01)
    # dropout2d on a feature vector drops single features, which is what nn.Dropout does
    assert type(drop).__name__ == "Dropout" and drop.p == 0.25


def test_build_module_accepts_a_stack_or_spec_text():
    stack = Stack(parse_layers(MNIST), (1, 28, 28), name="mnist")
    assert count_parameters(build_module(stack)) == 431_080
    assert count_parameters(build_module(MNIST, "1x28x28")) == 431_080


def test_build_module_reports_a_stack_that_does_not_fit():
    with pytest.raises(StackError) as info:
        build_module("conv(20,5) conv(50,30)", (1, 28, 28))
    assert info.value.path == (2,)
    with pytest.raises(StackError, match="input shape is needed"):
        build_module(parse_layers(MNIST))


def test_built_mnist_net_computes_what_the_lecture_net_computes():
    """Same weights in the lecture's hand-written Net give the same log-probabilities."""
    nn, F = torch.nn, torch.nn.functional

    class LectureNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 20, 5, 1)
            self.conv2 = nn.Conv2d(20, 50, 5, 1)
            self.fc1 = nn.Linear(4 * 4 * 50, 500)
            self.fc2 = nn.Linear(500, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.max_pool2d(x, 2, 2)
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2, 2)
            x = x.view(-1, 4 * 4 * 50)
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)

    torch.manual_seed(0)
    built, lecture = build_module(MNIST, (1, 28, 28)), LectureNet()
    with torch.no_grad():
        for mine, theirs in zip(built.parameters(), lecture.parameters(), strict=True):
            theirs.copy_(mine)
        x = torch.randn(3, 1, 28, 28)
        torch.testing.assert_close(built(x), lecture(x))


# ---------------------------------------------------------------------------------------------
# The block modules
# ---------------------------------------------------------------------------------------------


def test_residual_adds_identity_or_projection():
    x = torch.arange(8.0).reshape(1, 2, 2, 2)
    double = torch_modules.Residual(torch.nn.Identity())
    torch.testing.assert_close(double(x), 2 * x)
    assert double.shortcut is None and count_parameters(double) == 0
    projection = torch_modules.Residual(torch.nn.Identity(), torch.nn.Conv2d(2, 2, 1, bias=False))
    with torch.no_grad():
        projection.shortcut.weight.copy_(torch.tensor([[0.0, 1.0], [1.0, 0.0]]).view(2, 2, 1, 1))
    # the shortcut swaps the two channels before they are added to the body's output
    torch.testing.assert_close(projection(x), x + x.flip(1))


def test_concat_joins_branches_in_order_on_channels():
    x = torch.ones(1, 1, 2, 2)
    branches = [torch.nn.Identity(), torch.nn.ZeroPad2d(0), torch.nn.Conv2d(1, 2, 1)]
    with torch.no_grad():
        branches[2].weight.fill_(3.0)
        branches[2].bias.fill_(1.0)
    out = torch_modules.Concat(*branches)(x)
    assert out.shape == (1, 4, 2, 2)
    assert out[0, :, 0, 0].tolist() == [1.0, 1.0, 4.0, 4.0]


def test_dense_block_feeds_every_layer_all_earlier_features():
    class SumChannels(torch.nn.Module):
        def forward(self, x):
            return x.sum(dim=1, keepdim=True)

    x = torch.full((1, 2, 1, 1), 1.0)
    out = torch_modules.DenseBlock([SumChannels(), SumChannels(), SumChannels()])(x)
    # inputs 1, 1; then 2 (sum of both), 4 (sum of 1, 1, 2), 8 (sum of 1, 1, 2, 4)
    assert out.flatten().tolist() == [1.0, 1.0, 2.0, 4.0, 8.0]


# ---------------------------------------------------------------------------------------------
# export_source
# ---------------------------------------------------------------------------------------------


def _exec_net(src: str, class_name: str = "Net"):
    namespace: dict = {"__name__": "exported"}
    exec(compile(src, "net.py", "exec"), namespace)
    return namespace[class_name]()


def test_mnist_export_reads_like_the_lecture_net():
    src = export_source(MNIST, (1, 28, 28))
    lines = [line.strip() for line in src.splitlines()]
    for expected in [
        "self.conv1 = nn.Conv2d(1, 20, 5)",
        "self.pool1 = nn.MaxPool2d(2)",
        "self.conv2 = nn.Conv2d(20, 50, 5)",
        "self.pool2 = nn.MaxPool2d(2)",
        "self.fc1 = nn.Linear(800, 500)",
        "self.fc2 = nn.Linear(500, 10)",
        "x = self.conv1(x)  # 20x24x24",
        "x = F.relu(x)  # 20x24x24",
        "x = self.pool2(x)  # 50x4x4",
        "x = torch.flatten(x, 1)  # 800",
        "x = F.log_softmax(x, dim=1)  # 10",
        "# Parameters: 431,080",
        "x = torch.randn(2, 1, 28, 28)",
    ]:
        assert expected in lines, expected
    assert src.startswith("# Net: a custom stack for 1x28x28 inputs")
    # no helper classes are needed, so none are copied in
    assert "class Residual" not in src and "class DenseBlock" not in src


def test_export_prints_only_non_default_settings():
    src = export_source(
        "conv(64,3,p=1,bias=false) conv(64,3,p=same,d=1) maxpool(3,s=2) maxpool(2,s=2) "
        "avgpool(2,count_include_pad=false) bn lrn leakyrelu dropout",
        (3, 16, 16),
    )
    assert "self.conv1 = nn.Conv2d(3, 64, 3, padding=1, bias=False)" in src
    assert 'self.conv2 = nn.Conv2d(64, 64, 3, padding="same")' in src
    assert "self.pool1 = nn.MaxPool2d(3, stride=2)" in src
    assert "self.pool2 = nn.MaxPool2d(2)" in src
    assert "self.pool3 = nn.AvgPool2d(2, count_include_pad=False)" in src
    assert "self.bn1 = nn.BatchNorm2d(64)" in src
    assert "self.lrn1 = nn.LocalResponseNorm(5)" in src
    assert "self.drop1 = nn.Dropout(0.5)" in src
    assert "x = F.leaky_relu(x)  #" in src


def test_export_of_a_same_padded_strided_conv_is_refused():
    with pytest.raises(StackError, match="stride 1"):
        export_source("conv(8,3,s=2,p=same)", (1, 8, 8))


@pytest.mark.parametrize("name", list(STACKS))
def test_exported_net_matches_engine_and_built_module(name):
    layers, shape = _stack(name)
    src = export_source(layers, shape)
    net = _exec_net(src).eval()
    built = build_module(layers, shape).eval()
    assert count_parameters(net) == engine_parameter_count(layers, shape)
    # same tensors in the same order, so the export can load the built module's weights
    with torch.no_grad():
        pairs = zip(built.state_dict().values(), net.state_dict().values(), strict=True)
        for mine, theirs in pairs:
            assert mine.shape == theirs.shape
            theirs.copy_(mine)
        x = torch.randn(2, *shape)
        out = net(x)
        assert tuple(out.shape) == (2, *infer_output(layers, shape))
        torch.testing.assert_close(out, built(x))


def test_export_copies_only_the_helpers_it_uses_verbatim():
    layers, shape = _stack("residual")
    src = export_source(layers, shape)
    assert src.count(inspect.getsource(torch_modules.Residual)) == 1
    assert "class Concat" not in src and "class DenseBlock" not in src
    assert "self.block1 = Residual(" in src and "self.block2 = Residual(" in src
    assert "shortcut=nn.Sequential(" in src

    layers, shape = _stack("nested")
    src = export_source(layers, shape)
    # one-layer branches are written bare, without an nn.Sequential around them
    assert "        shortcut=nn.Conv2d(32, 20, 1),\n" in src
    assert "nn.Sequential(nn.AvgPool2d" not in src
    for helper in (torch_modules.Residual, torch_modules.Concat, torch_modules.DenseBlock):
        assert src.count(inspect.getsource(helper)) == 1


def test_export_names_the_stack_and_the_class():
    stack = Stack(parse_layers("conv(4,3) flatten fc(2)"), (1, 5, 5), name="tiny", description="")
    src = export_source(stack, class_name="TinyNet")
    assert src.startswith('# TinyNet: the stack "tiny" for 1x5x5 inputs')
    assert "class TinyNet(nn.Module):" in src
    assert "import torch.nn.functional as F" not in src  # nothing in forward() uses F
    assert count_parameters(_exec_net(src, "TinyNet")) == 4 * 9 + 4 + 4 * 9 * 2 + 2
    with pytest.raises(ValueError, match="identifier"):
        export_source(stack, class_name="class")


def test_an_empty_branch_is_the_identity_in_module_and_export():
    # the parser never makes one, but a Concat built in code may carry an identity branch
    layers = (Conv2d(4, 3, padding=1), Concat(paths=((Conv2d(2, 1),), ())))
    x = torch.randn(2, 1, 5, 5)
    built = build_module(layers, (1, 5, 5))
    out = built(x)
    assert tuple(out.shape[1:]) == infer_output(layers, (1, 5, 5)) == (6, 5, 5)
    torch.testing.assert_close(out[:, 2:], built[0](x))
    src = export_source(layers, (1, 5, 5))
    assert "self.block1 = Concat(nn.Conv2d(4, 2, 1), nn.Identity())" in src
    assert tuple(_exec_net(src)(x).shape) == (2, 6, 5, 5)


def test_dense_block_export_writes_one_layer_in_a_loop():
    src = export_source("conv(16,3,p=1) dense(3,8,bn_size=2)", (3, 8, 8))
    assert "nn.BatchNorm2d(16 + 8 * i)," in src
    assert "nn.Conv2d(16 + 8 * i, 16, 1, bias=False)," in src
    assert "nn.Conv2d(16, 8, 3, padding=1, bias=False)," in src
    assert "for i in range(3)" in src


def test_exported_file_runs_as_a_script(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(export_source(MNIST, (1, 28, 28)))
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "output shape: (2, 10)" in done.stdout
    assert "parameters: 431,080" in done.stdout


def test_exported_block_file_runs_as_a_script(tmp_path):
    layers, shape = _stack("nested")
    path = tmp_path / "net.py"
    path.write_text(export_source(layers, shape))
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    params = engine_parameter_count(layers, shape)
    out = infer_output(layers, shape)
    assert f"output shape: {(2, *out)}" in done.stdout
    assert f"parameters: {params:,}" in done.stdout


def _ruff() -> str | None:
    beside = Path(sys.executable).with_name("ruff")
    return str(beside) if beside.exists() else shutil.which("ruff")


@pytest.mark.skipif(_ruff() is None, reason="ruff is not installed")
def test_exported_source_is_lint_clean(tmp_path):
    for name in STACKS:
        layers, shape = _stack(name)
        (tmp_path / f"{name.replace('-', '_')}.py").write_text(export_source(layers, shape))
    done = subprocess.run(
        [_ruff(), "check", "--isolated", "--select", "E,F,W,I", "--line-length", "100", "."],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# ---------------------------------------------------------------------------------------------
# Conv and pool arithmetic agrees with torch
# ---------------------------------------------------------------------------------------------


@st.composite
def _conv_or_pool(draw):
    kind = draw(st.sampled_from(["conv", "maxpool", "avgpool"]))
    kernel = draw(st.integers(1, 5))
    if kind == "conv":
        padding = draw(st.one_of(st.integers(0, 3), st.sampled_from(["valid", "same", "full"])))
        stride = 1 if padding == "same" else draw(st.integers(1, 3))
        return Conv2d(2, kernel, stride, padding, dilation=draw(st.integers(1, 3)))
    cls = MaxPool2d if kind == "maxpool" else AvgPool2d
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    return cls(kernel, stride, draw(st.integers(0, kernel // 2)), ceil_mode=draw(st.booleans()))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layer=_conv_or_pool(), size=st.integers(1, 12))
def test_conv_and_pool_shapes_agree_with_torch(layer, size):
    shape = (2, size, size)
    try:
        expected = infer_output([layer], shape)
    except StackError:
        # the engine refuses: torch must not quietly produce an output either
        with pytest.raises((RuntimeError, ValueError)):
            torch_bridge._leaf_call(layer, shape).build()(torch.randn(1, *shape))
        return
    out = build_module([layer], shape)(torch.randn(1, *shape))
    assert tuple(out.shape[1:]) == expected


def test_ceil_mode_pool_on_an_input_smaller_than_its_window():
    layer = MaxPool2d(3, 2, ceil_mode=True)
    out = torch.nn.MaxPool2d(3, 2, ceil_mode=True)(torch.randn(1, 2, 2, 2))
    assert tuple(out.shape[1:]) == (2, 1, 1)
    assert infer_output([layer], (2, 2, 2)) == (2, 1, 1)


# ---------------------------------------------------------------------------------------------
# The zoo's presets
# ---------------------------------------------------------------------------------------------

PRESET_NAMES = ["seed-mnist", "lenet5", "resnet18", "googlenet", "densenet121"]


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_preset_builds_with_the_engine_counts(name):
    stack = zoo.get_preset(name).stack()
    with torch.device("meta"):
        # meta tensors carry shapes only: the big nets build and run in no time
        module = build_module(stack)
    assert count_parameters(module) == engine_parameter_count(stack.layers, stack.input_shape)
    seen = _leaf_output_shapes(module, stack.layers, stack.input_shape, device="meta")
    assert seen == {p.number: p.output_shape for p in walk(stack.layers, stack.input_shape)}
    assert seen[str(len(stack.layers))] == stack.output_shape()


@pytest.mark.parametrize("name", [n for n in PRESET_NAMES if zoo.get_preset(n).torchvision])
def test_preset_module_has_torchvisions_parameter_count(name):
    models = pytest.importorskip("torchvision.models")
    preset = zoo.get_preset(name)
    extra = (
        {"aux_logits": False, "init_weights": False} if preset.torchvision == "googlenet" else {}
    )
    with torch.device("meta"):
        reference = getattr(models, preset.torchvision)(weights=None, **extra)
        module = build_module(preset.stack())
    assert count_parameters(module) == count_parameters(reference)
