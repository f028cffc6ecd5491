"""Faults the engine must name before (or instead of) a traceback: damaged dataset files, labels
outside the classes, files that could not be written at the end, a NaN the last step left
behind, running out of memory while setting up, a race of one, a shift larger than the image."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pytest
import training_helpers

torch = pytest.importorskip("torch")

from cnn_tui.core.training import checkpoints, checks, run_state  # noqa: E402
from cnn_tui.core.training.data import DatasetError, load_dataset  # noqa: E402
from cnn_tui.core.training.devices import TrainingError  # noqa: E402
from cnn_tui.core.training.idx_files import (  # noqa: E402
    IdxError,
    pattern_digits,
    read_idx,
    write_idx,
    write_idx_images,
    write_idx_labels,
    write_mnist_folder,
)
from cnn_tui.core.training.loop import train  # noqa: E402
from cnn_tui.core.training.train_config import (  # noqa: E402
    Augment,
    ConfigError,
    OptimizerSettings,
    TrainConfig,
    parse_race,
)

NOT_IDX = b"hello world this is not idx"


def tiny(**changes) -> TrainConfig:
    """training_helpers.tiny on 64 digits (limit_train in changes still wins)."""
    return training_helpers.tiny(**{"limit_train": 64, **changes})


def mnist_folder(root: Path, name: str = "MNIST") -> Path:
    """300 training and 200 test images in torchvision's layout; returns the raw/ folder."""
    return write_mnist_folder(
        root, pattern_digits(300, seed=1), pattern_digits(200, seed=2), name=name
    )


def load_error(dataset: str, root: Path) -> str:
    with pytest.raises(DatasetError) as caught:
        load_dataset(dataset, data_dir=root)
    return str(caught.value)


# ---------------------------------------------------------------------------------------------
# damaged IDX files


def test_a_file_that_is_not_idx_is_named_with_its_first_bytes(tmp_path):
    raw = mnist_folder(tmp_path)
    (raw / "t10k-labels-idx1-ubyte").write_bytes(NOT_IDX)
    assert load_error("mnist", tmp_path) == (
        f"MNIST in {tmp_path}: t10k-labels-idx1-ubyte is not an IDX file (it starts with the "
        "bytes 68 65 6c 6c; an IDX file starts with 00 00, a type byte and its number of "
        "dimensions)"
    )


def test_fashion_mnist_names_its_own_title(tmp_path):
    raw = mnist_folder(tmp_path, name="FashionMNIST")
    (raw / "train-images-idx3-ubyte").write_bytes(NOT_IDX)
    assert load_error("fashion-mnist", tmp_path) == (
        f"Fashion-MNIST in {tmp_path}: train-images-idx3-ubyte is not an IDX file (it starts "
        "with the bytes 68 65 6c 6c; an IDX file starts with 00 00, a type byte and its number "
        "of dimensions)"
    )


def test_a_file_with_no_images_says_so(tmp_path):
    raw = mnist_folder(tmp_path)
    write_idx_images(raw / "train-images-idx3-ubyte", np.zeros((0, 28, 28), np.uint8))
    write_idx_labels(raw / "train-labels-idx1-ubyte", np.zeros(0, np.uint8))
    assert load_error("mnist", tmp_path) == (
        f"MNIST in {tmp_path}: train-images-idx3-ubyte holds no images"
    )


def test_a_truncated_file_says_how_much_is_missing(tmp_path):
    raw = mnist_folder(tmp_path)
    target = raw / "t10k-images-idx3-ubyte"
    target.write_bytes(target.read_bytes()[: 16 + 984])
    assert load_error("mnist", tmp_path) == (
        f"MNIST in {tmp_path}: t10k-images-idx3-ubyte is cut short (its header promises "
        "200x28x28 = 156,800 values, the file holds 984)"
    )


def test_a_header_cut_short_a_wrong_type_and_a_wrong_rank_are_named(tmp_path):
    raw = mnist_folder(tmp_path)
    images = raw / "train-images-idx3-ubyte"
    images.write_bytes(b"\x00\x00\x08\x03broken")
    assert load_error("mnist", tmp_path) == (
        f"MNIST in {tmp_path}: train-images-idx3-ubyte is cut short (10 bytes; the header of "
        "3 dimensions alone takes 16)"
    )
    images.write_bytes(bytes((0, 0, 0x0D, 1)) + struct.pack(">I", 1) + b"\x00" * 4)
    assert load_error("mnist", tmp_path) == (
        f"MNIST in {tmp_path}: train-images-idx3-ubyte is not an unsigned-byte IDX file (its "
        "type byte is 0x0d; MNIST's files use 0x08)"
    )
    write_mnist_folder(tmp_path, pattern_digits(300, seed=1), pattern_digits(200, seed=2))
    write_idx(raw / "t10k-labels-idx1-ubyte", np.zeros((100, 2), np.uint8))
    assert load_error("mnist", tmp_path) == (
        f"MNIST in {tmp_path}: t10k-labels-idx1-ubyte holds a 2-dimensional array (100x2); "
        "MNIST's labels file holds N"
    )


def test_read_idx_names_the_path(tmp_path):
    target = tmp_path / "data-idx1-ubyte"
    target.write_bytes(b"")
    with pytest.raises(IdxError) as caught:
        read_idx(target)
    assert str(caught.value) == f"{target} is empty"
    assert caught.value.problem == "is empty"


def test_labels_outside_the_classes_are_refused_at_load(tmp_path):
    raw = mnist_folder(tmp_path)
    write_idx_labels(raw / "train-labels-idx1-ubyte", (np.arange(300) % 250).astype(np.uint8))
    assert load_error("mnist", tmp_path) == (
        f"MNIST in {tmp_path}: train-labels-idx1-ubyte holds label 249; MNIST has 10 classes (0-9)"
    )


def test_images_and_labels_must_agree_in_number(tmp_path):
    raw = mnist_folder(tmp_path)
    write_idx_labels(raw / "train-labels-idx1-ubyte", np.zeros(299, np.uint8))
    assert load_error("mnist", tmp_path) == (
        f"MNIST in {tmp_path}: train-images-idx3-ubyte holds 300 images but "
        "train-labels-idx1-ubyte holds 299 labels"
    )


def test_a_damaged_cifar_batch_is_named(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    names = [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch", "batches.meta"]
    for name in names:
        (folder / name).write_bytes(b"not a pickle")
    assert load_error("cifar10", tmp_path) == (
        f"CIFAR-10 in {tmp_path}: data_batch_1 is damaged (its checksum is not CIFAR-10's): "
        f"put the original in {folder}, or delete it and add --download"
    )


# ---------------------------------------------------------------------------------------------
# a NaN at the end of a run


def test_a_nan_test_loss_after_the_last_step_ends_the_run_as_an_error():
    # the two training losses are finite; the second step's update leaves NaN weights
    result = train(tiny(optimizers=(OptimizerSettings("sgd", lr=1e10),), log_every=1))
    run = result.runs[0]
    assert all(math.isfinite(p.loss) for p in result.log.points(kind="log"))
    assert run.status == "error"
    assert run.message == (
        "test loss became NaN after step 1 (epoch 0, iteration 1; counted from 0 like the log "
        "lines) with learning rate 1e+10: the rate is probably too high for this stack; try "
        "1e+09, or add batch norm"
    )
    assert (run.test_loss, run.test_accuracy, run.steps) == (None, None, 2)
    assert result.log.points(kind="test") == []
    assert result.log.points(kind="done") == []
    assert result.summary()["status"] == "error"


def test_a_nan_on_the_very_last_step_is_caught_by_the_last_flush(monkeypatch):
    original = run_state._Run.step
    calls = []

    def last_step_goes_nan(self, x, y, loss_fn, full):
        original(self, x, y, loss_fn, full)
        calls.append(1)
        if len(calls) == 2:  # 64 images in batches of 32: the second step is the last
            loss, correct = self.record.pending[-1]
            self.record.pending[-1] = (loss * float("nan"), correct)

    monkeypatch.setattr(run_state._Run, "step", last_step_goes_nan)
    result = train(tiny(report_seconds=3600))  # no flush before the end of the epoch
    run = result.runs[0]
    assert run.status == "error"
    assert run.message == (
        "loss became NaN at step 1 (epoch 0, iteration 1; counted from 0 like the log lines) "
        "with learning rate 0.1: the rate is probably too high for this stack; try 0.01, or "
        "add batch norm"
    )
    assert result.log.points(kind="test") == []
    assert [p.step for p in result.log.points(kind="error")] == [1]


def test_the_nan_message_counts_like_the_log_lines():
    config = tiny(optimizers=(OptimizerSettings("sgd", lr=1e30),), limit_train=256, log_every=1)
    result = train(config)
    error = result.log.points(kind="error")[0]
    logs = result.log.points(kind="log")
    # the last log line before the NaN is the step just before it, in the same counting
    assert (logs[-1].step, logs[-1].epoch, logs[-1].iteration) == (
        error.step - 1,
        0,
        error.step - 1,
    )
    assert f"at step {error.step} (epoch 0, iteration {error.step}; counted from 0" in error.message


# ---------------------------------------------------------------------------------------------
# out of memory while setting up


ALLOCATOR_SAYS = (
    "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
    "you tried to allocate 3599999999964 bytes. Error code 12 (Cannot allocate memory)"
)


@pytest.mark.parametrize("error", [RuntimeError(ALLOCATOR_SAYS), MemoryError()])
def test_cpu_out_of_memory_while_building_names_the_tally(monkeypatch, error):
    from cnn_tui.core.stacks import torch_bridge

    def explode(*args, **kwargs):
        raise error

    monkeypatch.setattr(torch_bridge, "build_module", explode)
    with pytest.raises(TrainingError) as caught:
        train(tiny())
    assert str(caught.value) == (
        "cpu out of memory while setting up the dataset and 2 copies of the network "
        "(410 parameters, 1.6 KiB a copy by the builder's tally); try a smaller stack"
    )


def test_a_race_out_of_memory_also_suggests_fewer_optimizers(monkeypatch):
    from cnn_tui.core.stacks import torch_bridge

    def explode(*args, **kwargs):
        raise RuntimeError(ALLOCATOR_SAYS)

    monkeypatch.setattr(torch_bridge, "build_module", explode)
    race = (OptimizerSettings("sgd"), OptimizerSettings("adam"))
    with pytest.raises(TrainingError) as caught:
        train(tiny(optimizers=race, ema_decay=0.9))
    assert str(caught.value) == (
        "cpu out of memory while setting up the dataset and 5 copies of the network "
        "(410 parameters, 1.6 KiB a copy by the builder's tally); try a smaller stack, "
        "fewer optimizers"
    )


def test_other_runtime_errors_while_setting_up_are_not_called_out_of_memory(monkeypatch):
    from cnn_tui.core.stacks import torch_bridge

    def explode(*args, **kwargs):
        raise RuntimeError("something else")

    monkeypatch.setattr(torch_bridge, "build_module", explode)
    with pytest.raises(RuntimeError, match=r"^something else$"):
        train(tiny())


def test_a_network_larger_than_the_free_memory_is_refused_before_torch_tries(monkeypatch):
    monkeypatch.setattr(checks, "available_memory", lambda: 1000)
    points = []
    with pytest.raises(TrainingError) as caught:
        train(tiny(), report=points.append)
    assert str(caught.value) == (
        "the network has 410 parameters, 1.6 KiB a copy by the builder's tally; the run needs "
        "2 copies (3.2 KiB) and 1000 B of memory is free: try a smaller stack (fewer filters, "
        "a narrower linear layer)"
    )
    assert points == []


@pytest.mark.skipif(checks.available_memory() is None, reason="needs Linux's MemAvailable")
def test_a_terabyte_network_is_refused_for_real():
    config = tiny(model="flatten fc(1000000) fc(1000000) fc(10)")
    with pytest.raises(TrainingError) as caught:
        train(config)
    message = str(caught.value)
    assert message.startswith(
        "the network has 1,000,076,000,010 parameters, 3.6 TiB a copy by the builder's tally; "
        "the run needs 2 copies (7.3 TiB) and "
    )
    assert message.endswith("try a smaller stack (fewer filters, a narrower linear layer)")


def test_cpu_out_of_memory_during_a_step_names_the_batch_and_estimate(monkeypatch):
    def explode(self, *args):
        raise RuntimeError(ALLOCATOR_SAYS)

    monkeypatch.setattr(run_state._Run, "step", explode)
    run = train(tiny()).runs[0]
    assert run.status == "error"
    assert run.message.startswith(
        "cpu out of memory at step 0 with batch size 32: the builder estimates "
    )
    assert run.message.endswith("for one training step; try batch size 16 or a smaller stack")


def test_an_index_error_in_a_step_ends_that_run_with_its_reason(monkeypatch):
    def explode(self, *args):
        raise IndexError("Target 215 is out of bounds.")

    monkeypatch.setattr(run_state._Run, "step", explode)
    run = train(tiny()).runs[0]
    assert (run.status, run.message) == ("error", "step 0 failed: Target 215 is out of bounds.")


# ---------------------------------------------------------------------------------------------
# files that could not be written at the end


def test_a_checkpoint_path_that_cannot_be_written_is_refused_before_training(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cases = {
        tmp_path: f"checkpoint {tmp_path} is a folder: name a file in it, like "
        f"{tmp_path / 'run.pt'}",
        blocker / "run.pt": f"checkpoint {blocker / 'run.pt'}: {blocker} is a file, not a folder",
        blocker / "deeper" / "run.pt": f"checkpoint {blocker / 'deeper' / 'run.pt'}: {blocker} "
        "is a file, not a folder",
    }
    for path, message in cases.items():
        points = []
        with pytest.raises(TrainingError) as caught:
            train(tiny(), report=points.append, save=path)
        assert str(caught.value) == message
        assert points == []  # nothing was trained
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # no probe left behind


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_checkpoint_in_proc_is_refused_before_training():
    with pytest.raises(
        TrainingError, match=r"^checkpoint /proc/x\.pt: cannot create a file in /proc \("
    ):
        train(tiny(), save="/proc/x.pt")


def test_missing_folders_are_fine_they_are_made_at_the_end(tmp_path):
    target = tmp_path / "runs" / "today" / "run.pt"
    result = train(tiny(), save=target)
    assert result.checkpoint == target and target.is_file()


def test_check_writable_leaves_nothing_behind(tmp_path):
    assert checkpoints.check_writable(tmp_path / "a.pt", "--save") == tmp_path / "a.pt"
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# settings


@pytest.mark.parametrize("text", ["sgd", "sgd,", " sgd:0.1 , "])
def test_a_race_of_one_is_refused(text):
    with pytest.raises(ConfigError) as caught:
        parse_race(text)
    assert str(caught.value) == (
        "a race needs 2 to 5 optimizers, got 1 (sgd); use --optimizer for one"
    )
    with pytest.raises(ConfigError) as caught:
        parse_race(text, one="pick it above")
    assert str(caught.value) == "a race needs 2 to 5 optimizers, got 1 (sgd); pick it above"
    assert [o.name for o in parse_race("sgd,adam")] == ["sgd", "adam"]


@pytest.mark.parametrize(("shift", "refused"), [(7, False), (8, True), (100, True)])
def test_a_shift_as_large_as_the_image_is_refused(shift, refused):
    config = tiny(augment=Augment(shift=shift))
    if not refused:
        assert train(config).runs[0].status == "done"
        return
    with pytest.raises(TrainingError) as caught:
        train(config)
    assert str(caught.value) == (
        f"augmentation shift={shift} can move the 8x8 images wholly out of the picture: use a "
        "shift below 8"
    )
