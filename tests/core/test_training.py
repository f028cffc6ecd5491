"""The training engine on the CPU: accuracy, reproducibility, faults, stop, races, checkpoints."""

from __future__ import annotations

import math
import threading

import pytest
from training_helpers import TINY, tiny

torch = pytest.importorskip("torch")
F = torch.nn.functional

from cnn_tui.core.stacks.shapes import StackError  # noqa: E402
from cnn_tui.core.stacks.torch_bridge import build_module  # noqa: E402
from cnn_tui.core.stacks.zoo import resolve_stack  # noqa: E402
from cnn_tui.core.training.checkpoints import load_checkpoint  # noqa: E402
from cnn_tui.core.training.data import DatasetError  # noqa: E402
from cnn_tui.core.training.devices import TrainingError, pick_device  # noqa: E402
from cnn_tui.core.training.evaluation import evaluate  # noqa: E402
from cnn_tui.core.training.loop import train  # noqa: E402
from cnn_tui.core.training.metrics import MetricsLog, Point  # noqa: E402
from cnn_tui.core.training.results import LiveRun  # noqa: E402
from cnn_tui.core.training.train_config import Augment, OptimizerSettings, TrainConfig  # noqa: E402


def losses(result, kind="log"):
    return [p.loss for p in result.log.points(kind=kind)]


def test_seed_mnist_on_upsampled_digits_with_adam_passes_95_percent():
    config = TrainConfig(
        model="seed-mnist",
        dataset="digits",
        optimizers=(OptimizerSettings("adam"),),
        batch_size=32,
        epochs=10,
        device="cpu",
    )
    result = train(config)
    run = result.runs[0]
    assert run.status == "done"
    assert run.epochs == 10
    assert run.test_accuracy >= 0.95
    assert result.data.train_x.shape == (1437, 1, 28, 28)
    assert result.data.test_x.shape == (360, 1, 28, 28)
    assert result.data.source == "scikit-learn digits, 8x8 upsampled to 28x28"
    tests = result.log.points(kind="test")
    assert [p.epoch for p in tests] == list(range(10))
    assert 0 < tests[0].elapsed < tests[-1].elapsed  # training time when the test ran
    assert tests[-1].accuracy == run.test_accuracy
    start = result.log.points(kind="start")[0]
    assert start.extra["steps_per_epoch"] == 45  # ceil(1437 / 32)
    assert start.extra["params"] == 431_080


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_same_seed_same_run(optimizer):
    config = tiny(optimizers=(OptimizerSettings(optimizer),), epochs=2, log_every=1)
    first, second = train(config), train(config)
    assert losses(first) == losses(second)
    assert len(losses(first)) == 16
    assert first.runs[0].test_loss == second.runs[0].test_loss
    other = train(tiny(optimizers=(OptimizerSettings(optimizer),), epochs=2, log_every=1, seed=1))
    assert losses(other) != losses(first)


def test_log_points_follow_the_lecture_every_n_iterations():
    result = train(tiny(limit_train=None, log_every=10, epochs=2))
    logs = result.log.points(kind="log")
    spe = math.ceil(1437 / 32)  # 45
    assert [(p.epoch, p.iteration) for p in logs] == [
        (e, i) for e in range(2) for i in range(0, spe, 10)
    ]
    assert [p.step for p in logs] == [e * spe + i for e in range(2) for i in range(0, spe, 10)]


def test_first_logged_loss_equals_torch_on_the_same_batch():
    """Step 0's loss is the loss of the initial weights on the first shuffled batch."""
    config = tiny(log_every=1)
    result = train(config)
    torch.manual_seed(config.seed)
    model = build_module(resolve_stack(TINY, (1, 8, 8)))
    g = torch.Generator().manual_seed(config.seed)
    order = torch.randperm(256, generator=g)
    data = result.data
    x, y = data.train_x[order[:32]], data.train_y[order[:32]]
    expected = F.cross_entropy(model(x), y).item()
    assert losses(result)[0] == pytest.approx(expected, rel=1e-6)


def test_train_points_average_the_logged_losses_between_reports():
    result = train(tiny(log_every=1, report_seconds=1e9))  # one flush at the epoch's end
    train_points = result.log.points(kind="train")
    assert len(train_points) == 1
    sizes = [32] * 8
    mean = sum(v * s for v, s in zip(losses(result), sizes, strict=True)) / 256
    assert train_points[0].loss == pytest.approx(mean, rel=1e-9)
    assert train_points[0].step == 8
    assert train_points[0].images == 256


def test_evaluate_matches_torch_over_the_whole_test_set():
    result = train(tiny())
    model, data = result.runs[0].model, result.data
    loss, accuracy = evaluate(model, data, F.cross_entropy, batch_size=7)
    with torch.no_grad():
        out = model(data.test_x)
    assert loss == pytest.approx(F.cross_entropy(out, data.test_y).item(), rel=1e-5)
    assert accuracy == (out.argmax(1) == data.test_y).sum().item() / 360
    assert result.runs[0].test_loss == pytest.approx(loss, rel=1e-5)


def test_nan_loss_stops_the_run_naming_step_and_rate():
    result = train(tiny(optimizers=(OptimizerSettings("sgd", lr=1e30),), epochs=3))
    run = result.runs[0]
    assert run.status == "error"
    assert "loss became" in run.message
    assert "learning rate 1e+30" in run.message
    assert "try 1e+29" in run.message
    error = result.log.points(kind="error")[0]
    # the steps before the NaN are still reported: the loss of step 0 is finite
    first = result.log.points(kind="log")[0]
    assert (first.step, math.isfinite(first.loss)) == (0, True)
    assert f"at step {error.step} " in error.message
    assert run.epochs < 3
    # nothing after the error is reported as training
    assert all(p.step <= error.step + 8 for p in result.log.points(kind="train"))


def test_stop_event_ends_the_run_within_one_batch():
    stop = threading.Event()
    steps_seen = []

    def report(point: Point) -> None:
        if point.kind == "train":
            steps_seen.append(point.step)
            stop.set()

    result = train(tiny(limit_train=None, epochs=5, report_seconds=1e-9), report, stop)
    run = result.runs[0]
    assert run.status == "stopped"
    assert run.steps == steps_seen[0]  # no batch ran after the stop was seen
    assert result.log.points(kind="stopped")[0].message.startswith("stopped at step 1 of 225")


def test_a_stopped_run_is_scored_as_it_was_stopped():
    stop = threading.Event()

    def report(point: Point) -> None:
        if point.kind == "train" and point.step >= 3:
            stop.set()

    result = train(tiny(limit_train=None, epochs=5, report_seconds=1e-9), report, stop)
    run = result.runs[0]
    assert run.status == "stopped" and run.epochs == 0
    tests = result.log.points(kind="test")
    assert [p.step for p in tests] == [run.steps]  # one test, of the weights it stopped with
    loss, accuracy = evaluate(run.model, result.data, F.cross_entropy)
    assert (run.test_loss, run.test_accuracy) == (tests[0].loss, tests[0].accuracy)
    assert (loss, accuracy) == pytest.approx((run.test_loss, run.test_accuracy), rel=1e-6)


def test_a_run_stopped_before_its_first_step_is_not_scored():
    stop = threading.Event()
    stop.set()
    result = train(tiny(), stop=stop)
    assert result.runs[0].status == "stopped"
    assert result.log.points(kind="test") == []
    assert result.runs[0].test_accuracy is None


def test_pause_holds_the_loop_until_cleared(watched_pause):
    pause = watched_pause
    stop = threading.Event()
    pause.set()
    log = MetricsLog()
    worker = threading.Thread(
        target=train, args=(tiny(),), kwargs={"stop": stop, "pause": pause, "log": log}
    )
    worker.start()
    try:
        # set-up (dataset, model) happens before the first step; then the loop looks at the
        # pause before each batch and, paused, goes round its wait: three looks, no batch
        for _ in range(3):
            assert pause.looks.acquire(timeout=60)
        assert log.points(kind="start")
        assert log.points(kind="train") == []
        assert worker.is_alive()
        pause.clear()
        worker.join(timeout=30)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert log.points(kind="done")


def test_race_runs_every_optimizer_from_identical_weights():
    same = OptimizerSettings("sgd", lr=0.1, label="a")
    twin = OptimizerSettings("sgd", lr=0.1, label="b")
    result = train(tiny(optimizers=(same, twin, OptimizerSettings("adam")), log_every=1))
    assert [r.run for r in result.runs] == ["a", "b", "adam"]
    assert result.log.runs() == ["a", "b", "adam"]
    a = [p.loss for p in result.log.points(run="a", kind="log")]
    b = [p.loss for p in result.log.points(run="b", kind="log")]
    adam = [p.loss for p in result.log.points(run="adam", kind="log")]
    assert a == b  # same initial weights, same batches
    assert adam[0] == a[0]  # step 0's loss is taken before any update
    assert adam[1:] != a[1:]
    assert all(r.status == "done" for r in result.runs)


def test_race_runs_draw_the_same_dropout_masks_as_solo_runs():
    dropout_stack = "conv(4,3) relu dropout(0.5) maxpool(2) flatten linear(10)"
    sgd, adam = OptimizerSettings("sgd", lr=0.1), OptimizerSettings("adam")
    race = train(tiny(model=dropout_stack, optimizers=(sgd, adam), log_every=1))
    for settings in (sgd, adam):
        solo = train(tiny(model=dropout_stack, optimizers=(settings,), log_every=1))
        raced = [p.loss for p in race.log.points(run=settings.title, kind="log")]
        # same weights, batches and masks: a raced run is the run it would be alone
        assert raced == losses(solo)
        assert race.log.points(run=settings.title, kind="test")[0].loss == (
            solo.log.points(kind="test")[0].loss
        )


def test_race_labels_twice_the_same_optimizer_by_rate():
    config = tiny(optimizers=(OptimizerSettings("sgd", lr=0.1), OptimizerSettings("sgd", lr=0.01)))
    assert [o.title for o in config.race_settings()] == ["sgd lr=0.1", "sgd lr=0.01"]


def test_one_nan_run_does_not_stop_the_race():
    result = train(
        tiny(optimizers=(OptimizerSettings("sgd", lr=1e30), OptimizerSettings("adam")), epochs=2)
    )
    assert [r.status for r in result.runs] == ["error", "done"]
    assert result.runs[1].epochs == 2


def test_checkpoint_round_trips(tmp_path):
    target = tmp_path / "run" / "tiny.pt"
    result = train(tiny(ema_decay=0.9), save=target)
    assert result.checkpoint == target
    assert [p.name for p in tmp_path.joinpath("run").iterdir()] == ["tiny.pt"]  # no temp left
    assert torch.load(target, weights_only=True)["format"] == "cnn-tui-checkpoint"
    payload = load_checkpoint(target)
    assert payload["config"] == tiny(ema_decay=0.9).to_dict()
    assert TrainConfig.from_dict(payload["config"]) == tiny(ema_decay=0.9)
    assert payload["stack"] == {"spec": resolve_stack(TINY).spec, "input": "1x8x8"}
    assert payload["labels"] == [str(d) for d in range(10)]
    run = payload["runs"]["sgd"]
    model = build_module(resolve_stack(payload["stack"]["spec"], (1, 8, 8)))
    model.load_state_dict(run["state_dict"])
    loss, accuracy = evaluate(model, result.data, F.cross_entropy)
    assert (loss, accuracy) == pytest.approx(
        (result.runs[0].test_loss, result.runs[0].test_accuracy), rel=1e-6
    )
    assert run["ema_state_dict"] is not None
    assert run["result"]["status"] == "done"
    assert run["metrics"][0]["kind"] == "start"


def test_corrupt_checkpoint_is_reported(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(TrainingError, match=r"bad\.pt is not a readable checkpoint"):
        load_checkpoint(bad)
    with pytest.raises(TrainingError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "missing.pt")


def test_ema_weights_follow_the_moving_average():
    live = LiveRun()
    config = tiny(ema_decay=0.5, limit_train=32, optimizers=(OptimizerSettings("sgd", lr=0.1),))
    torch.manual_seed(config.seed)
    initial = build_module(resolve_stack(TINY, (1, 8, 8)))
    result = train(config, live=live)
    run = result.runs[0]
    # one step: ema = 0.5 * w0 + 0.5 * w1
    for w0, w1, e in zip(
        initial.parameters(), run.model.parameters(), run.ema_model.parameters(), strict=True
    ):
        assert torch.allclose(e, 0.5 * w0 + 0.5 * w1, atol=1e-7)
    test = result.log.points(kind="test")[0]
    assert test.ema_loss is not None and test.ema_accuracy is not None
    assert live.models["sgd"] is run.model


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [("constant", 0.1), ("step", 0.1 * 0.5**2), ("cosine", 0.0)],
)
def test_schedules_set_the_rate_per_step(schedule, expected):
    result = train(tiny(schedule=schedule, epochs=2, gamma=0.5, limit_train=64))
    last = result.log.points(kind="epoch")[-1]
    assert last.lr == pytest.approx(expected, abs=1e-12)


def test_one_cycle_warms_up_then_anneals():
    result = train(tiny(schedule="onecycle", epochs=4, limit_train=64, report_seconds=1e-9))
    rates = [p.lr for p in result.log.points(kind="train")]
    peak = rates.index(max(rates))
    assert 0 < peak < len(rates) - 1
    assert max(rates) == pytest.approx(0.1, rel=0.05)
    assert rates[-1] < max(rates) / 10


@pytest.mark.parametrize(
    "name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]
)
def test_every_optimizer_trains(name):
    result = train(tiny(optimizers=(OptimizerSettings(name, weight_decay=1e-4),), epochs=2))
    run = result.runs[0]
    assert run.status == "done"
    assert math.isfinite(run.test_loss)


def test_augmentation_runs_and_changes_the_batches():
    plain = train(tiny(log_every=1))
    moved = train(tiny(log_every=1, augment=Augment(shift=1, flip=True, rotate=10, noise=0.1)))
    assert losses(plain)[0] != losses(moved)[0]
    assert moved.runs[0].status == "done"


def test_stack_that_does_not_end_in_the_classes_is_refused():
    with pytest.raises(TrainingError, match=r"ends in 36 values but scikit-learn digits .* has 10"):
        train(tiny(model="conv(4,3) relu maxpool(2) flatten"))


def test_stack_that_does_not_fit_its_input_is_refused():
    with pytest.raises(StackError, match="layer 1"):
        train(tiny(model="conv(4,9) flatten linear(10)"))


def test_missing_dataset_names_the_files(tmp_path):
    with pytest.raises(DatasetError) as info:
        train(tiny(dataset="mnist", data_dir=str(tmp_path), input_shape=(1, 28, 28)))
    message = str(info.value)
    assert "train-images-idx3-ubyte" in message
    assert str(tmp_path / "MNIST" / "raw") in message
    assert "--download" in message


def test_missing_device_is_named():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(TrainingError, match="device cuda is not available"):
        pick_device("cuda")
    assert pick_device("auto") in ("cpu", "mps")


def test_out_of_memory_ends_the_run_with_the_estimate(monkeypatch):
    from cnn_tui.core.training import run_state

    def explode(self, *args):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(run_state._Run, "step", explode)
    result = train(tiny())
    run = result.runs[0]
    assert run.status == "error"
    assert "out of memory at step 0 with batch size 32" in run.message
    assert "the builder estimates" in run.message
    assert "try batch size 16" in run.message


def test_batch_norm_skips_a_last_batch_of_one_image():
    bn = "conv(4,3) bn relu maxpool(2) flatten linear(10)"
    result = train(tiny(model=bn, limit_train=33, batch_size=32, epochs=2))
    run = result.runs[0]
    assert run.status == "done"
    assert result.log.points(kind="start")[0].extra["steps_per_epoch"] == 1
    assert run.steps == 2
    with pytest.raises(TrainingError, match="batch norm needs at least 2 images per batch"):
        train(tiny(model=bn, batch_size=1))


def test_a_step_that_fails_ends_that_run_with_torchs_reason(monkeypatch):
    from cnn_tui.core.training import run_state

    def fail(self, *args):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied\nmore detail")

    monkeypatch.setattr(run_state._Run, "step", fail)
    result = train(tiny())
    assert result.runs[0].status == "error"
    assert result.runs[0].message == "step 0 failed: mat1 and mat2 shapes cannot be multiplied"


def test_the_nan_message_names_the_rate_that_step_used():
    result = train(tiny(optimizers=(OptimizerSettings("sgd", lr=1e30),), schedule="cosine"))
    message = result.runs[0].message
    assert "with learning rate 1e+30" in message or "with learning rate 9." in message
    assert "with learning rate 0:" not in message


def test_one_cycle_leaves_the_chosen_momentum_alone():
    live = LiveRun()
    config = tiny(optimizers=(OptimizerSettings("momentum", momentum=0.5),), schedule="onecycle")
    result = train(config, live=live)
    assert result.runs[0].status == "done"
    from cnn_tui.core.training.run_state import make_optimizer, make_schedule

    model = torch.nn.Linear(2, 2)
    optimizer = make_optimizer(config.optimizers[0], model.parameters())
    make_schedule(config, optimizer, 8)
    assert optimizer.param_groups[0]["momentum"] == 0.5


def test_a_checkpoint_that_cannot_be_written_keeps_the_results(tmp_path):
    blocker = tmp_path / "file"

    def block_the_folder(point):
        # writable when the run starts (checked then), a file in its way when it ends
        if point.kind == "done":
            blocker.write_text("not a folder")

    result = train(tiny(), report=block_the_folder, save=blocker / "run.pt")
    assert result.runs[0].status == "done"
    assert result.checkpoint is None
    assert result.save_error.startswith(f"checkpoint not saved to {blocker / 'run.pt'}")


def test_the_same_run_alone_and_in_a_race_reports_the_same_train_loss():
    """Issue 15 item 9: the flushes cut a race's steps elsewhere than a run's alone (every
    step here, once an epoch there); the train loss the board and the CLI show is the epoch's
    mean so far, so it is the same figure."""
    from cnn_tui.core.views.train_status import board_rows, epoch_in_hand, status_line

    sgd = OptimizerSettings("sgd", lr=0.1)
    alone = train(tiny(epochs=2, optimizers=(sgd,), report_seconds=1e-9))
    raced = train(tiny(epochs=2, optimizers=(sgd, OptimizerSettings("adam")), report_seconds=1e9))
    assert len(alone.log.points(run="sgd", kind="train")) > len(
        raced.log.points(run="sgd", kind="train")
    )
    solo_row = board_rows(alone.log)[0]
    race_row = next(row for row in board_rows(raced.log) if row.run == "sgd")
    assert solo_row.train_loss == race_row.train_loss
    assert solo_row.cells()["train loss"] == race_row.cells()["train loss"]
    assert solo_row.test_loss == race_row.test_loss
    # the board and the status line count the same epoch
    assert solo_row.cells()["epoch"] == "2/2" and epoch_in_hand(alone.log, "sgd") == 2
    assert "epoch 2/2" in status_line(alone.log)
    # the epoch mean is what the steps of that epoch average to
    first = [p for p in alone.log.points(run="sgd", kind="train") if p.epoch == 0]
    mean = sum(p.loss * 32 for p in first) / 256
    assert first[-1].extra["epoch_loss"] == pytest.approx(mean, rel=1e-9)


def test_a_run_computes_with_its_cpu_thread_count_and_restores_the_process_s():
    """Issue 15 item 15: the thread count is a setting of the run (the same default in the
    app and the CLI), shown in the device name, and put back afterwards."""
    from cnn_tui.core.training.train_config import DEFAULT_CPU_THREADS, ConfigError

    assert TrainConfig().cpu_threads == DEFAULT_CPU_THREADS == 1
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        one = train(tiny(cpu_threads=1))
        assert one.device_name == "CPU (1 thread)"
        assert torch.get_num_threads() == 2
        again = train(tiny(cpu_threads=1))
        assert losses(again, "test") == losses(one, "test")  # the same count, the same numbers
        assert train(tiny(cpu_threads=2)).device_name == "CPU (2 threads)"
    finally:
        torch.set_num_threads(before)
    with pytest.raises(ConfigError, match="cpu threads must be from 1 to 256"):
        tiny(cpu_threads=0)
    assert TrainConfig.from_dict(tiny(cpu_threads=3).to_dict()).cpu_threads == 3


def test_a_held_run_waits_between_steps_and_gives_the_same_numbers():
    """The app holds the loop while it draws the answer to a key: timing only. A hold left
    set slows the run (MAX_HOLD_SECONDS a step), never stops it."""
    hold = threading.Event()
    hold.set()
    held = train(tiny(limit_train=64, log_every=1), hold=hold)
    free = train(tiny(limit_train=64, log_every=1))
    assert losses(held) == losses(free)
    assert held.runs[0].status == "done"
