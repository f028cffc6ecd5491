"""CUDA-graph training steps on a real GPU: replayed runs match eager runs and fall back cleanly.

Marked `gpu` and skipped where torch sees no CUDA device; run them on a GPU box with
`pytest -m gpu tests/gpu`.
"""

from __future__ import annotations

import gc

import pytest

torch = pytest.importorskip("torch")

from cnn_tui.core.training import run_state  # noqa: E402
from cnn_tui.core.training.cuda_graph import GRAPH_OPTIMIZERS  # noqa: E402
from cnn_tui.core.training.loop import train  # noqa: E402
from cnn_tui.core.training.train_config import OptimizerSettings, TrainConfig  # noqa: E402

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

RATES = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adam": 0.01, "adamw": 0.01}


def config(**changes) -> TrainConfig:
    # 1,000 digits in batches of 64: 15 full batches (replayed) and one of 40 (eager) per epoch
    values = {
        "model": "conv(8,3) relu maxpool(2) flatten linear(10)",
        "input_shape": (1, 8, 8),
        "limit_train": 1000,
        "batch_size": 64,
        "epochs": 2,
        "log_every": 1,
        "report_seconds": 3600,  # train points at the epoch ends only, however fast the GPU
        "device": "cuda",
    }
    values.update(changes)
    return TrainConfig(**values)


@pytest.mark.parametrize("schedule", ["constant", "onecycle"])
@pytest.mark.parametrize("name", sorted(GRAPH_OPTIMIZERS))
def test_a_graphed_run_matches_an_eager_run(name, schedule):
    settings = OptimizerSettings(name, lr=RATES.get(name, 0.001))
    eager = train(config(optimizers=(settings,), schedule=schedule, cuda_graph=False))
    graphed = train(config(optimizers=(settings,), schedule=schedule))
    run = graphed.runs[0]
    assert (run.status, run.cuda_graph, run.graph_note) == ("done", True, ""), run.message
    assert (eager.runs[0].cuda_graph, eager.runs[0].graph_note) == (
        False,
        "CUDA graphs turned off",
    )
    # capturable / fused optimizers and a float32 rate round a little differently
    replayed = [p.loss for p in graphed.log.points(kind="log")]
    assert len(replayed) == 32
    assert replayed == pytest.approx([p.loss for p in eager.log.points(kind="log")], rel=2e-3)
    rates = [p.lr for p in eager.log.points(kind="train")]
    assert [p.lr for p in graphed.log.points(kind="train")] == rates
    assert run.test_accuracy == pytest.approx(eager.runs[0].test_accuracy, abs=0.02)


def test_batch_norm_dropout_and_ema_replay_and_learn():
    stack = "conv(16,3,p=1) bn relu maxpool(2) dropout(0.2) flatten linear(10)"
    result = train(
        config(
            model=stack,
            optimizers=(OptimizerSettings("adam", lr=0.01),),
            ema_decay=0.9,
            limit_train=None,
            epochs=4,
        )
    )
    run = result.runs[0]
    assert (run.status, run.cuda_graph) == ("done", True), run.message
    assert run.test_accuracy >= 0.9, run.test_accuracy
    assert run.ema_test_accuracy >= 0.9, run.ema_test_accuracy
    # batch norm's running statistics moved in the replays (eval mode uses them)
    bn = run.model[1]
    assert int(bn.num_batches_tracked) == 4 * 23  # ceil(1437 / 64) steps a epoch
    averaged = list(run.ema_model.parameters())
    assert all(p.grad_fn is None and not p.requires_grad for p in averaged)


def test_runs_warm_up_on_one_side_stream():
    # cuBLAS keeps a workspace per stream it meets: a new stream per run would pile them up
    from cnn_tui.core.training.cuda_graph import side_stream

    train(config(epochs=1))
    gc.collect()
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    for _ in range(3):
        train(config(epochs=1))
    gc.collect()
    torch.cuda.synchronize()
    assert torch.cuda.memory_allocated() - before < 2**20
    assert side_stream() is side_stream()


def test_adagrad_steps_eagerly_and_says_why():
    result = train(config(optimizers=(OptimizerSettings("adagrad", lr=0.05),)))
    run = result.runs[0]
    assert (run.status, run.cuda_graph) == ("done", False)
    assert run.graph_note == (
        "adagrad counts its steps on the CPU, which a replayed graph cannot advance"
    )


def test_a_step_that_cannot_be_captured_goes_on_eagerly(monkeypatch):
    original = run_state._Run._update

    def reads_the_loss(self, x, y, loss_fn):
        original(self, x, y, loss_fn)
        float(self.record.values[0, 0])  # a copy home: not allowed inside a capture

    monkeypatch.setattr(run_state._Run, "_update", reads_the_loss)
    settings = OptimizerSettings("momentum", lr=0.05)
    result = train(config(optimizers=(settings,)))
    run = result.runs[0]
    assert (run.status, run.cuda_graph) == ("done", False), run.message
    assert run.graph_note.startswith("CUDA graph capture failed: "), run.graph_note
    assert len(result.log.points(kind="log")) == 32
    monkeypatch.undo()
    # the failed capture left the GPU usable: the same run now replays
    again = train(config(optimizers=(settings,)))
    assert (again.runs[0].status, again.runs[0].cuda_graph) == ("done", True)


def test_the_cli_names_the_graph(capsys):
    from cnn_tui.cli import main

    args = ["train", "--model", "conv(8,3) relu maxpool(2) flatten linear(10)"]
    args += ["--input", "1x8x8", "--epochs", "1", "--limit-train", "640", "--device", "cuda"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"{torch.cuda.get_device_name()} (CUDA graph), 1 epoch of 20 steps" in out
    assert out.rstrip().endswith("(CUDA graph)")
    assert main([*args, "--no-cuda-graph"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("(eager: CUDA graphs turned off)")
