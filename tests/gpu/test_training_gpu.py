"""`cnn-tui train` on a CUDA GPU: learns, races, saves, and reports running out of memory.

Marked `gpu` and skipped where torch sees no CUDA device; run them on a GPU box with
`pytest -m gpu tests/gpu`.
"""

from __future__ import annotations

import json
import re

import pytest

torch = pytest.importorskip("torch")

from cnn_tui.cli import main  # noqa: E402

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def train_json(capsys, *args: str, code: int = 0) -> tuple[dict, str]:
    result = main(["train", *args, "--device", "cuda", "--json"])
    captured = capsys.readouterr()
    assert result == code, captured.err
    return json.loads(captured.out), captured.err


def test_seed_mnist_learns_digits_on_cuda_with_adam(capsys):
    data, err = train_json(
        capsys, "--model", "seed-mnist", "--dataset", "digits", "--optimizer", "adam"
    )
    assert data["device"] == "cuda"
    assert data["device_name"] == torch.cuda.get_device_name()
    assert data["epochs"] == 10
    assert data["test_accuracy"] >= 0.95, data
    assert data["runs"][0]["status"] == "done"
    assert re.search(r"^Train Epoch: 9, iteration: 0, Loss: \d", err, re.MULTILINE)


def test_a_race_on_cuda(capsys):
    data, err = train_json(
        capsys, "--model", "seed-mnist", "--race", "sgd,momentum,adam", "--epochs", "3"
    )
    runs = {run["run"]: run for run in data["runs"]}
    assert set(runs) == {"sgd", "momentum", "adam"}
    assert all(run["status"] == "done" and run["epochs"] == 3 for run in runs.values())
    # from the same start on the same batches, momentum and Adam beat plain SGD at lr 0.01
    assert runs["adam"]["test_accuracy"] > runs["sgd"]["test_accuracy"]
    assert runs["momentum"]["test_accuracy"] > runs["sgd"]["test_accuracy"]
    assert "[adam] Train Epoch: 2, iteration: 0" in err


def test_a_cuda_checkpoint_loads_on_the_cpu_and_scores_the_same(tmp_path, capsys):
    import torch.nn.functional as F

    from cnn_tui.core.stacks.torch_bridge import build_module
    from cnn_tui.core.stacks.zoo import resolve_stack
    from cnn_tui.core.training.checkpoints import load_checkpoint
    from cnn_tui.core.training.data import load_dataset
    from cnn_tui.core.training.evaluation import evaluate

    target = tmp_path / "mnist-net.pt"
    data, _ = train_json(
        capsys, "--model", "seed-mnist", "--epochs", "2", "--ema", "0.99", "--save", str(target)
    )
    assert data["checkpoint"] == str(target)
    raw = torch.load(target, weights_only=True)  # plain tensors and containers only
    checkpoint = load_checkpoint(target)
    run = checkpoint["runs"]["sgd"]
    assert all(t.device.type == "cpu" for t in run["state_dict"].values())
    model = build_module(resolve_stack(checkpoint["stack"]["spec"], (1, 28, 28)))
    model.load_state_dict(run["state_dict"])
    digits = load_dataset("digits", (1, 28, 28), device="cpu")
    _, accuracy = evaluate(model, digits, F.nll_loss)
    # one or two of the 360 test digits may flip between cuDNN and the CPU's kernels
    assert accuracy == pytest.approx(data["test_accuracy"], abs=0.01)
    assert raw["runs"]["sgd"]["ema_state_dict"] is not None


def test_out_of_memory_is_reported_and_the_gpu_stays_usable(capsys):
    # two 512-filter convolutions at 224x224 keep ~100 MB per image for backward: a batch of
    # all 1,437 digits needs over 100 GiB, more than any single GPU holds
    huge = "conv(512,3,p=1) relu conv(512,3,p=1) relu flatten fc(10)"
    data, err = train_json(
        capsys,
        "--model",
        huge,
        "--input",
        "3x224x224",
        "--batch-size",
        "2048",
        "--epochs",
        "1",
        code=1,
    )
    run = data["runs"][0]
    assert run["status"] == "error"
    assert "out of memory" in run["message"]
    assert "try batch size 1024" in run["message"]
    assert "cnn-tui: cuda out of memory at step 0 with batch size 2048" in err
    assert "Traceback" not in err
    # the failed run let go of its memory: a small run right after trains normally
    torch.cuda.empty_cache()
    after, _ = train_json(capsys, "--model", "seed-mnist", "--epochs", "1")
    assert after["runs"][0]["status"] == "done"


def test_raced_runs_on_cuda_draw_the_same_dropout_masks_as_solo_runs():
    from cnn_tui.core.training.loop import train
    from cnn_tui.core.training.train_config import OptimizerSettings, TrainConfig

    def config(*optimizers: OptimizerSettings) -> TrainConfig:
        return TrainConfig(
            model="conv(8,3) relu dropout(0.5) maxpool(2) flatten linear(10)",
            input_shape=(1, 8, 8),
            optimizers=optimizers,
            epochs=1,
            limit_train=256,
            log_every=1,
            device="cuda",
        )

    sgd, adam = OptimizerSettings("sgd", lr=0.1), OptimizerSettings("adam")
    race = train(config(sgd, adam))
    for settings in (sgd, adam):
        solo = train(config(settings))
        raced = [p.loss for p in race.log.points(run=settings.title, kind="log")]
        alone = [p.loss for p in solo.log.points(kind="log")]
        # cuDNN may sum in another order; different masks would differ by far more
        assert raced == pytest.approx(alone, rel=1e-4)
