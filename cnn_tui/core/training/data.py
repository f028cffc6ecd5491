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
from typing import TYPE_CHECKING, Any

from ..safe_files import check_regular
from .devices import _first_line
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
        channels, height, width = self.train_x.shape[1:]
        return (channels, height, width)

    @property
    def device(self) -> torch.device:
        return self.train_x.device

    def raw(self, x: torch.Tensor) -> torch.Tensor:
        """Undo the normalisation: pixels back in [0, 1] for display."""
        shape = (1, -1, 1, 1) if x.dim() == 4 else (-1, 1, 1)
        return x * self.std.view(shape) + self.mean.view(shape)


def load_dataset(
    name: str,
    input_shape: tuple[int, ...] | None = None,
    *,
    device: str = "cpu",
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
    limit_train: int | None = None,
    classes: tuple[int, ...] | None = None,
    normalisation: tuple[list[float], list[float]] | None = None,
) -> DeviceData:
    """Load a dataset, resize it to the stack's input (C, H, W) and move it to the device.

    `classes` keeps only those classes (train and test; `limit_train` then takes the first N
    of each class); `normalisation` (mean, std) replaces the training set's own, so a
    fine-tuned network sees its inputs scaled as it was first trained."""
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
    if classes is not None:
        train_x, train_y = _only(train_x, train_y, classes, limit_train)
        test_x, test_y = _only(test_x, test_y, classes, None)
    elif limit_train is not None:
        train_x, train_y = train_x[:limit_train], train_y[:limit_train]
    native = tuple(train_x.shape[1:])
    train_x = fit_images(train_x, shape, info.title)
    test_x = fit_images(test_x, shape, info.title)
    if normalisation is not None:
        mean, std = (torch.tensor(v, dtype=torch.float32) for v in normalisation)
    else:
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


def _only(
    x: torch.Tensor, y: torch.Tensor, classes: tuple[int, ...], per_class: int | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The images of these classes, in their order; at most `per_class` of each."""
    import torch

    keep = torch.zeros(len(y), dtype=torch.bool)
    for c in classes:
        where = (y == c).nonzero().flatten()
        keep[where[:per_class] if per_class is not None else where] = True
    if not keep.any():
        raise DatasetError(f"no images of classes {', '.join(map(str, classes))}")
    return x[keep], y[keep]


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
    for name in info.files:
        try:
            check_regular(root / info.folder / name)  # a FIFO would hang the checksum read
        except OSError as exc:
            raise DatasetError(f"{info.title} in {root}: {name}: {exc.strerror}") from None
    present = all((root / info.folder / f).is_file() for f in info.files)
    if not download and not present:
        raise DatasetError(missing_files_message(info, root))
    # torchvision's CIFAR-10 checks the files' checksums and fetches them again when one is
    # damaged; its MNIST only checks that the files are there
    if download and (not present or info.name == "cifar10"):
        _download(info, root)
    if info.name == "cifar10":
        return _read_cifar(info, root)
    return _read_idx_set(info, root)


def _download(info: DatasetInfo, root: Path) -> None:
    from torchvision import datasets

    kind = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}.get(
        info.name, datasets.CIFAR10
    )
    try:
        kind(str(root), train=True, download=True)
    except Exception as exc:  # URLError, a checksum RuntimeError, a full disk, ...
        raise DatasetError(
            f"could not download {info.title} into {root}: {_first_line(exc)}. "
            + missing_files_message(info, root)
        ) from None


def _read_idx_set(
    info: DatasetInfo, root: Path
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """MNIST or Fashion-MNIST from its four IDX files, read and checked here (torchvision's
    reader fails on a damaged file with an assertion that names nothing)."""
    import torch

    from .idx_files import MNIST_FILES, IdxError, read_idx

    where = f"{info.title} in {root}"
    raw = root / info.folder / "raw"
    parts: list[torch.Tensor] = []
    for split in ("train", "test"):
        arrays = {}
        for kind, rank, layout in (("images", 3, "N x height x width"), ("labels", 1, "N")):
            name = MNIST_FILES[split, kind]
            try:
                array = read_idx(raw / name)
            except IdxError as exc:
                raise DatasetError(f"{where}: {name} {exc.problem}") from None
            except OSError as exc:
                raise DatasetError(f"{where}: cannot read {name} ({exc.strerror or exc})") from None
            if array.ndim != rank:
                dims = "x".join(map(str, array.shape))
                raise DatasetError(
                    f"{where}: {name} holds a {array.ndim}-dimensional array ({dims}); "
                    f"{info.title}'s {kind} file holds {layout}"
                )
            arrays[kind] = array
        images, labels = arrays["images"], arrays["labels"]
        _check_split(
            info,
            where,
            len(images),
            images.size,
            labels,
            MNIST_FILES[split, "images"],
            MNIST_FILES[split, "labels"],
        )
        parts += [
            torch.from_numpy(images.copy()).unsqueeze(1).float().div_(255.0),
            torch.from_numpy(labels.astype("int64")),
        ]
    return parts[0], parts[1], parts[2], parts[3]


def _read_cifar(
    info: DatasetInfo, root: Path
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    import torch
    from torchvision import datasets

    where = f"{info.title} in {root}"
    parts: list[torch.Tensor] = []
    for train in (True, False):
        try:
            ds = datasets.CIFAR10(str(root), train=train, download=False)
        except Exception as exc:  # a damaged batch: a checksum RuntimeError, a pickle error
            raise DatasetError(_cifar_problem(info, root, exc)) from None
        data = torch.from_numpy(ds.data)
        if data.dim() != 4 or data.shape[3] != 3:
            raise DatasetError(
                f"{where}: the batches hold {tuple(data.shape)}, not N x 32 x 32 x 3"
            )
        labels = torch.as_tensor(ds.targets, dtype=torch.int64)
        images_name = "the training batches (data_batch_1 to 5)" if train else "test_batch"
        _check_split(info, where, len(data), data.numel(), labels.numpy(), images_name, images_name)
        # CIFAR's (N, H, W, C) puts channels first
        parts += [data.permute(0, 3, 1, 2).float().div_(255.0), labels]
    return parts[0], parts[1], parts[2], parts[3]


def _cifar_problem(info: DatasetInfo, root: Path, exc: Exception) -> str:
    """Which CIFAR-10 file is damaged (by torchvision's published checksums), else why the
    folder could not be read."""
    from torchvision import datasets
    from torchvision.datasets.utils import check_integrity

    where = f"{info.title} in {root}"
    kind = datasets.CIFAR10
    folder = root / kind.base_folder
    try:
        expected = [*kind.train_list, *kind.test_list, [kind.meta["filename"], kind.meta["md5"]]]
        for name, md5 in expected:
            if not check_integrity(str(folder / name), md5):
                return (
                    f"{where}: {name} is damaged (its checksum is not CIFAR-10's): put the "
                    f"original in {folder}, or delete it and add --download"
                )
    except (OSError, AttributeError, KeyError, TypeError, ValueError):
        pass  # an unexpected torchvision: say what it said
    return f"{where} could not be read: {_first_line(exc)}"


def _check_split(
    info: DatasetInfo,
    where: str,
    count: int,
    values: int,
    labels: Any,
    images_name: str,
    labels_name: str,
) -> None:
    """One split's images and labels agree in number and every label names a class."""
    if count == 0 or values == 0:
        raise DatasetError(f"{where}: {images_name} holds no images")
    if len(labels) != count:
        raise DatasetError(
            f"{where}: {images_name} holds {count:,} images but {labels_name} holds "
            f"{len(labels):,} labels"
        )
    classes = len(info.labels)
    top = int(labels.max())
    low = int(labels.min())
    if top >= classes or low < 0:
        bad = top if top >= classes else low
        raise DatasetError(
            f"{where}: {labels_name} holds label {bad}; {info.title} has {classes} classes "
            f"(0-{classes - 1})"
        )


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
