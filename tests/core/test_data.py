"""Datasets on the device: the digits split, MNIST-format files, resizing, augmentation."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cnn_tui.core.training.data import (  # noqa: E402
    DatasetError,
    augment_batch,
    dataset_info,
    default_data_dir,
    fit_images,
    load_dataset,
)
from cnn_tui.core.training.idx_files import pattern_digits, write_mnist_folder  # noqa: E402
from cnn_tui.core.training.train_config import Augment, ConfigError  # noqa: E402


def test_digits_split_is_fixed_and_normalised():
    a = load_dataset("digits")
    b = load_dataset("digits")
    assert a.train_x.shape == (1437, 1, 8, 8)
    assert a.test_x.shape == (360, 1, 8, 8)
    assert torch.equal(a.train_y, b.train_y) and torch.equal(a.test_x, b.test_x)
    assert a.train_x.mean().item() == pytest.approx(0.0, abs=1e-5)
    assert a.train_x.std().item() == pytest.approx(1.0, abs=1e-4)
    assert sorted(set(a.test_y.tolist())) == list(range(10))
    from sklearn.datasets import load_digits

    raw = a.raw(a.train_x)
    images = load_digits().images / 16.0
    # every training image is one of scikit-learn's, unchanged
    match = np.isclose(images.reshape(1797, 64), raw[0].numpy().reshape(1, 64), atol=1e-5)
    assert match.all(axis=1).any()
    assert a.source == "scikit-learn digits"


def test_digits_served_at_28x28_and_3_channels():
    data = load_dataset("digits", (3, 28, 28))
    assert data.train_x.shape == (1437, 3, 28, 28)
    assert data.source == "scikit-learn digits, 8x8 upsampled to 28x28, 1 -> 3 channels"


def test_mnist_from_idx_files(tmp_path):
    train = pattern_digits(50, seed=1)
    test = pattern_digits(20, seed=2)
    write_mnist_folder(tmp_path, train, test)
    data = load_dataset("mnist", data_dir=tmp_path)
    assert data.train_x.shape == (50, 1, 28, 28)
    assert data.test_x.shape == (20, 1, 28, 28)
    assert data.train_y.tolist() == train[1].tolist()
    assert data.test_y.tolist() == test[1].tolist()
    pixels = data.raw(data.test_x)[:, 0].numpy()
    assert np.allclose(pixels, test[0] / 255.0, atol=1e-5)
    assert data.source == f"MNIST from {tmp_path}"


def test_fashion_mnist_reads_its_own_folder(tmp_path):
    write_mnist_folder(tmp_path, pattern_digits(10), pattern_digits(5), name="FashionMNIST")
    data = load_dataset("fashion-mnist", (1, 32, 32), data_dir=tmp_path)
    assert data.train_x.shape == (10, 1, 32, 32)
    assert data.labels[9] == "Ankle boot"


def test_missing_files_say_what_to_put_where(tmp_path):
    with pytest.raises(DatasetError) as info:
        load_dataset("mnist", data_dir=tmp_path)
    message = str(info.value)
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        assert name in message
    assert f"in {tmp_path / 'MNIST' / 'raw'}" in message
    with pytest.raises(
        DatasetError, match=r"data_batch_1, .*test_batch.* in .*cifar-10-batches-py"
    ):
        load_dataset("cifar10", data_dir=tmp_path)


def test_truncated_idx_file_is_reported(tmp_path):
    raw = write_mnist_folder(tmp_path, pattern_digits(10), pattern_digits(5))
    (raw / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03broken")
    with pytest.raises(DatasetError) as caught:
        load_dataset("mnist", data_dir=tmp_path)
    assert str(caught.value) == (
        f"MNIST in {tmp_path}: train-images-idx3-ubyte is cut short (10 bytes; the header of 3 "
        "dimensions alone takes 16)"
    )


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(
        DatasetError, match="unknown dataset 'imagenet': choose one of digits, mnist"
    ):
        dataset_info("imagenet")
    assert dataset_info("FashionMNIST").name == "fashion-mnist"


def test_default_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CNN_TUI_DATA", str(tmp_path / "d"))
    assert default_data_dir() == tmp_path / "d"
    monkeypatch.delenv("CNN_TUI_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_data_dir() == tmp_path / "cache" / "cnn-tui" / "data"


def test_fit_images_resizes_like_torch_and_converts_channels():
    x = torch.rand(4, 3, 10, 10)
    grey = fit_images(x, (1, 5, 5))
    expected = torch.nn.functional.interpolate(
        x.mean(1, keepdim=True), size=(5, 5), mode="bilinear", align_corners=False
    )
    assert torch.allclose(grey, expected)
    with pytest.raises(DatasetError, match="has 3 channels; the stack wants 2"):
        fit_images(x, (2, 10, 10))


def test_shift_moves_whole_pixels_and_fills_with_black():
    x = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).view(2, 1, 6, 6)
    background = torch.tensor([-1.0])
    g = torch.Generator().manual_seed(3)
    out = augment_batch(x, Augment(shift=2), g, background)
    g = torch.Generator().manual_seed(3)
    shifts = torch.randint(-2, 3, (2, 2), generator=g)
    for i in range(2):
        dx, dy = shifts[i].tolist()
        expected = torch.full((6, 6), -1.0)
        # the sampling grid is moved by (dx, dy): output(r, c) = input(r + dy, c + dx)
        for r in range(6):
            for c in range(6):
                if 0 <= r + dy < 6 and 0 <= c + dx < 6:
                    expected[r, c] = x[i, 0, r + dy, c + dx]
        assert torch.allclose(out[i, 0], expected, atol=1e-4)


def test_flip_noise_and_rotation_are_seeded():
    x = torch.rand(16, 1, 8, 8)
    bg = torch.tensor([0.0])
    settings = Augment(flip=True, rotate=15, noise=0.1, shift=1)
    a = augment_batch(x, settings, torch.Generator().manual_seed(0), bg)
    b = augment_batch(x, settings, torch.Generator().manual_seed(0), bg)
    assert torch.equal(a, b)
    assert not torch.equal(a, x)
    flipped = augment_batch(x, Augment(flip=True), torch.Generator().manual_seed(0), bg)
    for i in range(16):
        assert torch.equal(flipped[i], x[i]) or torch.equal(flipped[i], x[i].flip(2))
    assert augment_batch(x, Augment(), torch.Generator(), bg) is x


def test_augment_settings_are_checked():
    with pytest.raises(ConfigError, match="at most 180"):
        Augment(rotate=200)
    with pytest.raises(ConfigError, match="0 or more"):
        Augment(shift=-1)
    assert Augment(shift=2, flip=True).describe() == "shift ±2px, flips"
