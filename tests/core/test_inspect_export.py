"""A checkpoint exported as PyTorch source whose Net loads its weights."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from cnn_tui.cli import main  # noqa: E402
from cnn_tui.core.inspect.activations import forward  # noqa: E402
from cnn_tui.core.inspect.inputs import dataset_image  # noqa: E402
from cnn_tui.core.inspect.network import load_network  # noqa: E402
from cnn_tui.core.stacks.export_weights import export_keys  # noqa: E402
from cnn_tui.core.stacks.torch_bridge import build_module, export_source  # noqa: E402
from cnn_tui.core.stacks.zoo import resolve_stack  # noqa: E402

BLOCKS = (
    "conv(4,3,p=1) relu res[conv(4,3,p=1)] res[conv(4,3,p=1) bn | conv(4,1)] "
    "cat[conv(2,1) | conv(2,3,p=1) bn relu] dense(1,2) dense(2,2) maxpool(2) flatten fc(10)"
)


def _exported_net(source: str):
    space: dict = {"__name__": "exported"}
    exec(compile(source, "<export>", "exec"), space)
    return space["Net"]()


def test_every_built_weight_has_its_exported_name():
    stack = resolve_stack(BLOCKS, (1, 8, 8))
    built = build_module(stack).state_dict()
    exported = _exported_net(export_source(stack)).state_dict()
    names = export_keys(stack, list(built))
    assert sorted(names.values()) == sorted(exported)
    assert names["2.body.0.weight"] == "block1.body.weight"  # a one-layer branch is bare
    assert names["3.body.1.running_mean"] == "block2.body.1.running_mean"
    assert names["3.shortcut.0.weight"] == "block2.shortcut.weight"
    assert names["0.weight"] == "conv1.weight" and names["9.bias"] == "fc1.bias"
    assert all(built[k].shape == exported[v].shape for k, v in names.items())


def test_the_exported_file_loads_the_weights_and_predicts_alike(
    inspect_checkpoint, tmp_path, capsys
):
    target = tmp_path / "trained_net.py"
    args = ["export", str(inspect_checkpoint), "--run", "sgd", "--ema", "--out", str(target)]
    assert main(args) == 0
    assert f"wrote {target}" in capsys.readouterr().err
    spec = importlib.util.spec_from_file_location("trained_net", target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.load_weights(module.Net()).eval()
    network = load_network(inspect_checkpoint, run="sgd", ema=True)
    image = dataset_image(network, 11)
    with torch.no_grad():
        out = net(module.normalise(torch.from_numpy(image.pixels).unsqueeze(0)))
    expected = forward(network, image)
    torch.testing.assert_close(out[0], torch.from_numpy(expected.layers[-1].values))
    assert module.LABELS[int(out.argmax())] == expected.prediction.top3[0].name
    assert module.WEIGHTS == "ema_state_dict" and module.RUN == "sgd"
    ruff = Path(sys.executable).with_name("ruff")
    ruff_path = str(ruff) if ruff.exists() else shutil.which("ruff")
    if ruff_path is not None:
        lint = ["check", "--isolated", "--select", "E,F,W,I", "--line-length", "100"]
        done = subprocess.run([ruff_path, *lint, str(target)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout


def test_a_spec_with_a_checkpoint_must_be_its_stack(inspect_checkpoint, capsys):
    spec = "conv(4,3) relu flatten fc(10)"
    assert main(["export", spec, "--checkpoint", str(inspect_checkpoint), "--run", "adam"]) == 2
    assert "the checkpoint's stack is" in capsys.readouterr().err
