"""Datasets held on the training device as tensors, batches drawn by index, augmented on device.

`digits` is embedded (scikit-learn ships 1,797 real 8x8 handwritten digits); MNIST,
Fashion-MNIST and CIFAR-10 come through torchvision from a data folder in torchvision's own
layout, downloaded only when asked. torch, torchvision and scikit-learn are imported inside the
functions: the app must paint before any of them loads.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .train_config import Augment

if TYPE_CHECKING:
    import torch


class DatasetError(ValueError):
    """A dataset that cannot be loaded: which one, where we looked, and what to put there."""


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    shape: tuple[int, int, int]
    """Native image shape (C, H, W)."""
    labels: tuple[str, ...]
    folder: str
    """Sub-folder of the data folder torchvision uses ('' for embedded data)."""
    files: tuple[str, ...]
    """Files torchvision needs inside that folder."""


_DIGITS = tuple(str(d) for d in range(10))
_MNIST_FILES = (
    "raw/train-images-idx3-ubyte",
    "raw/train-labels-idx1-ubyte",
    "raw/t10k-images-idx3-ubyte",
    "raw/t10k-labels-idx1-ubyte",
)

DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo("digits", "scikit-learn digits (embedded)", (1, 8, 8), _DIGITS, "", ()),
        DatasetInfo("mnist", "MNIST", (1, 28, 28), _DIGITS, "MNIST", _MNIST_FILES),
        DatasetInfo(
            "fashion-mnist",
            "Fashion-MNIST",
            (1, 28, 28),
            (
                "T-shirt/top",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ),
            "FashionMNIST",
            _MNIST_FILES,
        ),
        DatasetInfo(
            "cifar10",
            "CIFAR-10",
            (3, 32, 32),
            (
                "airplane",
                "automobile",
                "bird",
                "cat",
                "deer",
                "dog",
                "frog",
                "horse",
                "ship",
                "truck",
            ),
            "cifar-10-batches-py",
            (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch", "batches.meta"),
        ),
    )
}

DIGITS_TEST_SIZE = 360
DIGITS_SPLIT_SEED = 0
"""The digits train/test split is fixed: 1,437 training and 360 test images, always the same."""


def default_data_dir() -> Path:
    """$CNN_TUI_DATA, else the user's cache folder: $XDG_CACHE_HOME/cnn-tui/data or
    ~/.cache/cnn-tui/data."""
    explicit = os.environ.get("CNN_TUI_DATA")
    if explicit:
        return Path(explicit).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "cnn-tui" / "data"


def dataset_info(name: str) -> DatasetInfo:
    key = name.strip().lower().replace("_", "-")
    if key == "fashionmnist":
        key = "fashion-mnist"
    if key not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")
    return DATASETS[key]


def missing_files_message(info: DatasetInfo, root: Path) -> str:
    """Which files to put where, for a dataset that is not on disk."""
    folder = root / info.folder
    files = ", ".join(Path(f).name for f in info.files)
    where = folder / Path(info.files[0]).parent if "/" in info.files[0] else folder
    return (
        f"{info.title} is not in {root}: put {files} in {where} "
        f"(torchvision's layout), set --data-dir or CNN_TUI_DATA to the folder that holds "
        f"{info.folder}/, or add --download when you have a network"
    )


@dataclass
class DeviceData:
    """A whole dataset as normalised float tensors on one device."""

    info: DatasetInfo
    train_x: torch.Tensor
    """(N, C, H, W) float32, normalised with the training set's per-channel mean and std."""
    train_y: torch.Tensor
    """(N,) int64 class indices."""
    test_x: torch.Tensor
    test_y: torch.Tensor
    mean: torch.Tensor
    """(C,) per-channel mean of the raw [0, 1] training pixels."""
    std: torch.Tensor
    source: str
    """Where it came from and how it was resized: 'scikit-learn digits, 8x8 upsampled to 28x28'."""

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def labels(self) -> tuple[str, ...]:
        return self.info.labels

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.train_x.shape[1:])  # type: ignore[return-value]

    @property
    def device(self) -> torch.device:
        return self.train_x.device

    def raw(self, x: torch.Tensor) -> torch.Tensor:
        """Undo the normalisation: pixels back in [0, 1] for display."""
        shape = (1, -1, 1, 1) if x.dim() == 4 else (-1, 1, 1)
        return x * self.std.view(shape) + self.mean.view(shape)


def load_dataset(
    name: str,
    input_shape: tuple[int, int, int] | None = None,
    *,
    device: str = "cpu",
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
    limit_train: int | None = None,
) -> DeviceData:
    """Load a dataset, resize it to the stack's input (C, H, W) and move it to the device."""
    import torch

    info = dataset_info(name)
    shape = input_shape or info.shape
    if info.name == "digits":
        train_x, train_y, test_x, test_y = _digits()
        origin = "scikit-learn digits"
    else:
        root = Path(data_dir).expanduser() if data_dir else default_data_dir()
        train_x, train_y, test_x, test_y = _torchvision(info, root, download)
        origin = f"{info.title} from {root}"
    if limit_train is not None:
        train_x, train_y = train_x[:limit_train], train_y[:limit_train]
    native = tuple(train_x.shape[1:])
    train_x = fit_images(train_x, shape, info.title)
    test_x = fit_images(test_x, shape, info.title)
    mean = train_x.mean(dim=(0, 2, 3))
    std = train_x.std(dim=(0, 2, 3)).clamp_min(1e-6)
    view = (1, -1, 1, 1)
    train_x = (train_x - mean.view(view)) / std.view(view)
    test_x = (test_x - mean.view(view)) / std.view(view)
    source = origin
    if native[1:] != tuple(shape[1:]):
        how = "upsampled" if shape[1] > native[1] else "resized"
        source += f", {native[1]}x{native[2]} {how} to {shape[1]}x{shape[2]}"
    if native[0] != shape[0]:
        source += f", {native[0]} -> {shape[0]} channels"
    dev = torch.device(device)
    return DeviceData(
        info=info,
        train_x=train_x.to(dev),
        train_y=train_y.to(dev),
        test_x=test_x.to(dev),
        test_y=test_y.to(dev),
        mean=mean.to(dev),
        std=std.to(dev),
        source=source,
    )


def _digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    import numpy as np
    import torch
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.float32) / 16.0
    labels = np.asarray(bunch.target, dtype=np.int64)
    order = np.random.default_rng(DIGITS_SPLIT_SEED).permutation(len(images))
    cut = len(images) - DIGITS_TEST_SIZE
    train, test = order[:cut], order[cut:]
    x = torch.from_numpy(images).unsqueeze(1)
    y = torch.from_numpy(labels)
    return x[train], y[train], x[test], y[test]


def _torchvision(
    info: DatasetInfo, root: Path, download: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    import torch

    if not download and not all((root / info.folder / f).is_file() for f in info.files):
        raise DatasetError(missing_files_message(info, root))
    from torchvision import datasets

    kind = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}.get(
        info.name, datasets.CIFAR10
    )
    parts = []
    for train in (True, False):
        try:
            ds = kind(str(root), train=train, download=download)
        except (RuntimeError, OSError, ValueError) as exc:
            if download:
                raise DatasetError(
                    f"could not download {info.title} into {root}: {exc}. "
                    + missing_files_message(info, root)
                ) from None
            raise DatasetError(f"{info.title} in {root} is unreadable: {exc}") from None
        data = ds.data if isinstance(ds.data, torch.Tensor) else torch.from_numpy(ds.data)
        # MNIST's (N, H, W) gains a channel axis; CIFAR's (N, H, W, C) puts channels first
        data = data.unsqueeze(1) if data.dim() == 3 else data.permute(0, 3, 1, 2)
        targets = torch.as_tensor(ds.targets, dtype=torch.int64)
        if len(targets) != len(data) or len(data) == 0:
            raise DatasetError(
                f"{info.title} in {root}: {len(data)} images but {len(targets)} labels"
            )
        parts += [data.float().div_(255.0), targets]
    return parts[0], parts[1], parts[2], parts[3]


def fit_images(x: torch.Tensor, shape: tuple[int, ...], title: str = "the data") -> torch.Tensor:
    """(N, C, H, W) images -> the stack's (C, H, W): bilinear resize, grey <-> colour."""
    import torch.nn.functional as F

    if len(shape) != 3:
        raise DatasetError(
            f"{title} is images; the stack's input {'x'.join(map(str, shape))} is not C x H x W"
        )
    channels, height, width = shape
    have = x.shape[1]
    if have != channels:
        if have == 1:
            x = x.expand(-1, channels, -1, -1)
        elif channels == 1:
            x = x.mean(dim=1, keepdim=True)
        else:
            raise DatasetError(
                f"{title} has {have} channels; the stack wants {channels}: use 1 or {have}"
            )
    if tuple(x.shape[2:]) != (height, width):
        x = F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False)
    return x.contiguous()


def augment_batch(
    x: torch.Tensor,
    settings: Augment,
    generator: torch.Generator,
    background: torch.Tensor,
) -> torch.Tensor:
    """Random shifts, flips, rotations and noise for one normalised batch, on its device.

    `background` is the normalised value of a black pixel per channel: pixels moved in from
    outside the image get it, as they would in the raw picture.
    """
    import torch
    import torch.nn.functional as F

    if not settings.active:
        return x
    n, _, height, width = x.shape
    dev = x.device
    bg = background.view(1, -1, 1, 1)
    if settings.flip:
        flip = torch.rand(n, device=dev, generator=generator) < 0.5
        x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
    if settings.shift or settings.rotate:
        angle = torch.zeros(n, device=dev)
        if settings.rotate:
            angle = (torch.rand(n, device=dev, generator=generator) * 2 - 1) * math.radians(
                settings.rotate
            )
        shift = torch.zeros(n, 2, device=dev)
        if settings.shift:
            # whole pixels: with align_corners=False a shift of k pixels is 2k/size
            pixels = torch.randint(
                -settings.shift, settings.shift + 1, (n, 2), device=dev, generator=generator
            ).float()
            # Python floats, not a new device tensor: no host-to-device copy per batch
            shift = torch.stack([pixels[:, 0] * (2.0 / width), pixels[:, 1] * (2.0 / height)], 1)
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.stack(
            [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
        )
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x - bg, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        x = x + bg
    if settings.noise:
        x = x + settings.noise * torch.randn(x.shape, device=dev, generator=generator)
    return x
