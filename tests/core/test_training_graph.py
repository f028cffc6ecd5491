"""The engine's CUDA-graph path, simulated on the CPU, and its step record.

A CUDA graph replays exactly the kernels it captured, writing the same tensors, so what the
engine must get right is everything around it: warming up before the capture, gathering full
batches into fixed buffers, stepping the shorter last batch eagerly into the gradients the graph
writes, and a schedule that changes the rate without the host reading the GPU. Here a stand-in
"replays" the captured body on the CPU, and each run must match one that steps eagerly. The real
graphs are compared on a GPU in tests/gpu.
"""

from __future__ import annotations

import json
import math

import pytest
from training_helpers import tiny

torch = pytest.importorskip("torch")

from cnn_tui.core.training import cuda_graph, run_state  # noqa: E402
from cnn_tui.core.training.cuda_graph import GRAPH_OPTIMIZERS, WARMUP_STEPS, graph_refusal  # noqa: E402
from cnn_tui.core.training.loop import train  # noqa: E402
from cnn_tui.core.training.step_record import StepRecord  # noqa: E402
from cnn_tui.core.training.train_config import OptimizerSettings, TrainConfig  # noqa: E402

BN_STACK = "conv(4,3) bn relu maxpool(2) flatten dropout(0.2) linear(10)"
PLAIN_STACK = "conv(4,3) relu maxpool(2) flatten dropout(0.2) linear(10)"
"""For inexact comparisons: under Adam a conv bias before batch norm (whose gradient is
rounding noise) takes full-size steps in random directions."""


class ReplayOnCpu:
    """Stands in for cuda_graph.GraphedStep: eager warm-up steps, then a 'replay' that runs the
    captured body with fresh gradients, which is what replaying the capture computes."""

    made: list[ReplayOnCpu] = []

    def __init__(self, pool) -> None:
        self.warmed = 0
        self.replays = 0
        self.failure = ""
        ReplayOnCpu.made.append(self)

    @property
    def captured(self) -> bool:
        return self.warmed >= WARMUP_STEPS

    def run(self, eager, body, drop_grads) -> None:
        if not self.captured:
            eager()
            self.warmed += 1
            return
        drop_grads()
        body()
        self.replays += 1

    def release(self) -> None:
        pass


@pytest.fixture
def graphs_on_cpu(monkeypatch):
    def refusal(config, settings, device):
        return graph_refusal(config, settings, "cuda")

    real = run_state.make_optimizer

    def optimizer(settings, params, capturable=False, rate=None):
        # capturable=True needs a GPU; on the CPU the same arithmetic runs without it
        return real(settings, params, rate=rate)

    ReplayOnCpu.made = []
    monkeypatch.setattr(cuda_graph, "graph_refusal", refusal)
    monkeypatch.setattr(cuda_graph, "GraphedStep", ReplayOnCpu)
    monkeypatch.setattr(run_state, "make_optimizer", optimizer)
    return ReplayOnCpu.made


def weights(result, run=0):
    return {k: v.clone() for k, v in result.runs[run].model.state_dict().items()}


def config(**changes) -> TrainConfig:
    # 250 images in batches of 32: seven full batches and one of 26 per epoch; no timed flush
    # (a busy machine would flush at other steps in the two runs and split their points apart)
    values = {
        "model": BN_STACK,
        "limit_train": 250,
        "epochs": 2,
        "ema_decay": 0.9,
        "report_seconds": 3600,
    }
    values.update(changes)
    return tiny(**values)


@pytest.mark.parametrize(
    "settings",
    [
        OptimizerSettings("sgd", lr=0.1),
        OptimizerSettings("momentum", lr=0.05),
        OptimizerSettings("nesterov", lr=0.05, weight_decay=1e-3),
        OptimizerSettings("adam", lr=0.01),
        OptimizerSettings("adamw", lr=0.01, weight_decay=0.01),
        OptimizerSettings("rmsprop", lr=0.001, momentum=0.5),
    ],
    ids=lambda s: s.name,
)
def test_a_replayed_run_matches_an_eager_run_exactly(graphs_on_cpu, settings):
    eager = train(config(optimizers=(settings,), cuda_graph=False))
    assert graphs_on_cpu == []  # turned off: no graph was even planned
    graphed = train(config(optimizers=(settings,)))
    (replayer,) = graphs_on_cpu
    assert replayer.replays == 2 * 7 - WARMUP_STEPS
    assert graphed.runs[0].cuda_graph and not eager.runs[0].cuda_graph
    for name, tensor in weights(eager).items():
        assert torch.equal(weights(graphed)[name], tensor), name
    logs = [(p.step, p.loss) for p in eager.log.points(kind="train")]
    assert [(p.step, p.loss) for p in graphed.log.points(kind="train")] == logs
    assert graphed.runs[0].test_accuracy == eager.runs[0].test_accuracy
    assert graphed.runs[0].ema_test_loss == eager.runs[0].ema_test_loss


@pytest.mark.parametrize("schedule", ["step", "cosine", "onecycle"])
@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_a_scheduled_replay_reads_its_rate_from_the_gpu_tensor(graphs_on_cpu, schedule, name):
    settings = OptimizerSettings(name, lr=0.05 if name == "momentum" else 0.01)
    changes = {"optimizers": (settings,), "schedule": schedule, "model": PLAIN_STACK}
    eager = train(config(cuda_graph=False, **changes))
    graphed = train(config(**changes))
    (replayer,) = graphs_on_cpu
    assert replayer.replays == 2 * 7 - WARMUP_STEPS
    # the host keeps the same rates as the eager run's own scheduler, step for step
    rates = [p.lr for p in eager.log.points(kind="train")]
    assert [p.lr for p in graphed.log.points(kind="train")] == rates
    assert len(set(rates)) > 1
    # the update reads a float32 rate tensor instead of a Python float: rounding apart, equal
    for key, tensor in weights(eager).items():
        torch.testing.assert_close(weights(graphed)[key], tensor, rtol=1e-4, atol=1e-6)


def test_adagrad_steps_eagerly_and_a_race_replays_the_others(graphs_on_cpu):
    race = (OptimizerSettings("adagrad", lr=0.05), OptimizerSettings("adam", lr=0.01))
    eager = train(config(optimizers=race, cuda_graph=False))
    graphed = train(config(optimizers=race))
    assert [r.cuda_graph for r in graphed.runs] == [False, True]
    assert len(graphs_on_cpu) == 1
    start = {p.run: p.extra["cuda_graph"] for p in graphed.log.points(kind="start")}
    assert start == {"adagrad": False, "adam": True}
    for run in range(2):
        for key, tensor in weights(eager, run).items():
            assert torch.equal(weights(graphed, run)[key], tensor), key


def test_the_cli_says_which_runs_replay_a_graph(graphs_on_cpu, capsys):
    from cnn_tui.cli import main

    quick = ["train", "--model", PLAIN_STACK, "--input", "1x8x8", "--limit-train", "256"]
    assert main([*quick, "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    # the run's thread count is a setting now (default 1), not the machine's
    assert "CPU (1 thread) (CUDA graph), 1 epoch of 8 steps" in out
    assert out.rstrip().endswith("(CUDA graph)")
    assert main([*quick, "--epochs", "1", "--race", "adagrad,adam"]) == 0
    out = capsys.readouterr().out
    assert "(CUDA graph for adam)" in out
    assert main([*quick, "--epochs", "1", "--no-cuda-graph", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["runs"][0]["cuda_graph"] is False
    assert data["runs"][0]["graph_note"] == ""  # on the CPU there is nothing to explain
    assert graphs_on_cpu and len(graphs_on_cpu) == 2  # the first run, then adam in the race


def test_graph_refusals_name_the_reason():
    assert graph_refusal(tiny(), OptimizerSettings("sgd"), "cuda") == ""
    assert graph_refusal(tiny(), OptimizerSettings("sgd"), "cpu") == (
        "CUDA graphs need a CUDA GPU (cpu steps eagerly)"
    )
    assert graph_refusal(tiny(cuda_graph=False), OptimizerSettings("adam"), "cuda") == (
        "CUDA graphs turned off"
    )
    assert graph_refusal(tiny(), OptimizerSettings("adagrad"), "cuda") == (
        "adagrad counts its steps on the CPU, which a replayed graph cannot advance"
    )
    assert {"sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop"} == GRAPH_OPTIMIZERS


def test_a_cpu_run_reports_no_graph_and_no_note():
    result = train(tiny())
    assert result.runs[0].to_dict()["cuda_graph"] is False
    assert result.runs[0].to_dict()["graph_note"] == ""
    assert result.log.points(kind="start")[0].extra["cuda_graph"] is False


@pytest.mark.parametrize("in_buffer", [False, True], ids=["list", "buffer"])
def test_the_step_record_keeps_rows_until_taken(in_buffer):
    record = StepRecord("cpu", capacity=3, in_buffer=in_buffer)
    assert (len(record), record.full, record.take()) == (0, False, ([], [], []))
    record.write(torch.tensor(2.5), torch.tensor(7))
    record.note(0.1)
    record.write(torch.tensor(float("nan")), torch.tensor(0))
    record.note(0.05)
    losses, correct, rates = record.take()
    assert math.isnan(losses[1]) and losses[0] == 2.5
    assert (correct, rates, len(record)) == ([7, 0], [0.1, 0.05], 0)
    for k in range(3):
        record.write(torch.tensor(float(k)), torch.tensor(k))
        record.note(1.0)
    assert record.full
    record.clear()
    assert (len(record), record.pending, record.take()) == (0, [], ([], [], []))
    if in_buffer:
        assert int(record.slot) == 0
    else:
        assert record.values is None


def test_the_trainer_takes_a_full_record_before_it_overflows(monkeypatch):
    from cnn_tui.core.training import step_record

    monkeypatch.setattr(step_record, "RECORD_CAPACITY", 3)
    original = StepRecord.__init__

    def small(self, device, capacity=3, in_buffer=False):
        original(self, device, capacity, in_buffer=in_buffer)

    monkeypatch.setattr(StepRecord, "__init__", small)
    result = train(tiny(report_seconds=3600, log_every=1))  # no timed flush in the run
    assert result.runs[0].status == "done"
    assert [p.step for p in result.log.points(kind="log")] == list(range(8))
    assert [p.step for p in result.log.points(kind="train")] == [3, 6, 8]


def test_the_weight_average_stays_out_of_autograd():
    result = train(tiny(ema_decay=0.9, epochs=2))
    averaged = list(result.runs[0].ema_model.parameters())
    assert all(p.grad_fn is None and not p.requires_grad for p in averaged)
