"""Inputs for a network: a test image by index, an image file, or pixels drawn by hand.

Every kind goes through one function, `prepare`: raw [0, 1] pixels -> `data.fit_images` (the
training data's own code: channel mean to grey or grey to colour, bilinear `F.interpolate` to
the stack's size) -> the checkpoint's per-channel normalisation. A picture and a test image are
treated alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .network import InspectError, Network

if TYPE_CHECKING:
    import numpy as np
    import torch

IMAGE_FILE_LIMIT = 50 * 1024 * 1024
"""Image files larger than this are refused before Pillow decodes them."""


@dataclass(frozen=True)
class InputImage:
    """One image as the network sees it."""

    pixels: np.ndarray = field(compare=False, repr=False)
    """(C, H, W) float32 in [0, 1] at the stack's input size: what a screen draws."""
    x: torch.Tensor = field(compare=False, repr=False)
    """(1, C, H, W) float32, normalised: what the network is fed."""
    label: int | None
    """The true class of a test image; None for a file or a drawing."""
    source: str
    """'digits test image 7', 'photo.png (640x480 RGB)', 'drawing'."""
    index: int | None = None


def prepare(raw: torch.Tensor, network: Network) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, C', H', W') raw [0, 1] images -> (fitted pixels, normalised input), the training
    pipeline's steps in the training pipeline's order."""
    import torch

    from ..training.data import DatasetError, fit_images

    try:
        fitted = fit_images(raw.float(), network.input_shape, "the image")
    except DatasetError as exc:
        raise InspectError(str(exc)) from None
    view = (1, -1, 1, 1)
    mean = torch.tensor(network.mean, dtype=torch.float32).view(view)
    std = torch.tensor(network.std, dtype=torch.float32).view(view)
    return fitted, (fitted - mean) / std


def normalise(pixels: torch.Tensor, network: Network) -> torch.Tensor:
    """Fitted (N, C, H, W) [0, 1] pixels -> the network's input (differentiable)."""
    import torch

    view = (1, -1, 1, 1)
    mean = torch.tensor(network.mean, dtype=pixels.dtype).view(view)
    std = torch.tensor(network.std, dtype=pixels.dtype).view(view)
    return (pixels - mean) / std


def _one(
    raw: torch.Tensor, network: Network, label: int | None, source: str, index: int | None = None
) -> InputImage:
    fitted, x = prepare(raw, network)
    return InputImage(fitted[0].numpy().copy(), x, label, source, index)


def raw_test_images(dataset: str, data_dir: str | Path | None = None) -> tuple:
    """(images, labels): a dataset's test split as raw [0, 1] (N, C, H, W) images at their
    native size, exactly as `load_dataset` reads them."""
    from ..training import data

    info = data.dataset_info(dataset)
    if info.name == "digits":
        _, _, images, labels = data._digits()
    else:
        root = Path(data_dir).expanduser() if data_dir else data.default_data_dir()
        _, _, images, labels = data._torchvision(info, root, download=False)
    return images, labels


def dataset_image(network: Network, index: int, data_dir: str | Path | None = None) -> InputImage:
    """Test image `index` of the network's dataset (the fixed split training tested on)."""
    from ..training.data import DatasetError

    try:
        images, labels = raw_test_images(network.dataset, data_dir)
    except DatasetError as exc:
        raise InspectError(str(exc)) from None
    count = len(images)
    if not 0 <= index < count:
        raise InspectError(f"--image {index}: the test set has images 0 to {count - 1}")
    return _one(
        images[index : index + 1],
        network,
        label=int(labels[index]),
        source=f"{network.dataset} test image {index}",
        index=index,
    )


def class_index(
    network: Network, label: int, nth: int = 0, data_dir: str | Path | None = None
) -> int:
    """The index of the nth test image of class `label` (for "show me a 7")."""
    from ..training.data import DatasetError

    try:
        _, labels = raw_test_images(network.dataset, data_dir)
    except DatasetError as exc:
        raise InspectError(str(exc)) from None
    where = [i for i, y in enumerate(labels.tolist()) if y == label]
    if not 0 <= nth < len(where):
        raise InspectError(
            f"the test set has {len(where)} images of class {label}, not {nth + 1} or more"
        )
    return where[nth]


def image_file(network: Network, path: str | Path) -> InputImage:
    """A PNG or JPEG decoded by Pillow, scaled to [0, 1], then `prepare`d like a test image.
    Colour files keep R, G, B (fit_images takes their mean for a grey stack); transparency is
    dropped; a palette image is expanded."""
    import numpy as np
    import torch
    from PIL import Image, UnidentifiedImageError

    from ..safe_files import check_readable

    target = Path(path).expanduser()
    try:
        check_readable(target, IMAGE_FILE_LIMIT)
        with Image.open(target) as picture:
            size, mode = picture.size, picture.mode
            if picture.format not in ("PNG", "JPEG"):
                raise InspectError(
                    f"{path} is {picture.format or 'an unknown format'}, not PNG or JPEG"
                )
            picture.load()
            grey = mode in ("1", "L", "I", "I;16", "F", "LA")
            converted = picture.convert("L" if grey else "RGB")
    except FileNotFoundError:
        raise InspectError(f"no image file at {path}") from None
    except UnidentifiedImageError:
        raise InspectError(f"{path} is not an image Pillow can read (PNG or JPEG)") from None
    except (OSError, ValueError) as exc:
        if isinstance(exc, InspectError):
            raise
        raise InspectError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
    array = np.asarray(converted, dtype=np.float32) / 255.0
    raw = torch.from_numpy(array[None] if array.ndim == 2 else array.transpose(2, 0, 1).copy())
    return _one(
        raw.unsqueeze(0), network, label=None, source=f"{target.name} ({size[0]}x{size[1]} {mode})"
    )


def drawn_image(network: Network, pixels: object, label: int | None = None) -> InputImage:
    """A drawing: (H, W) or (C, H, W) values in [0, 1] (a list of rows or an array)."""
    import numpy as np
    import torch

    array = np.clip(np.asarray(pixels, dtype=np.float32), 0.0, 1.0)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise InspectError(f"a drawing is H x W or C x H x W, not {array.ndim}-dimensional")
    return _one(torch.from_numpy(array.copy()).unsqueeze(0), network, label=label, source="drawing")
