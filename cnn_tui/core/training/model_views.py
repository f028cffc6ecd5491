"""What a trained network has learned, as numbers ready to draw: a confusion matrix, top-3
predictions for test images, the first conv layer's filters and one image's feature maps;
`compute_views` puts them all together for the train screen's picture tabs.

Each view works on a frozen copy of the model, so it is safe while another thread trains it.
torch is imported inside the functions.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..views.fields import FieldError

if TYPE_CHECKING:
    from torch import nn

    from .data import DeviceData


@dataclass(frozen=True)
class Prediction:
    """One test image with the network's three most likely classes."""

    index: int
    """Position in the test set."""
    image: np.ndarray
    """(H, W) grey or (H, W, 3) colour, pixels in [0, 1]."""
    label: int
    """The true class."""
    top: list[tuple[int, float]]
    """(class, probability), most likely first."""

    @property
    def correct(self) -> bool:
        return bool(self.top) and self.top[0][0] == self.label


def _frozen(model: nn.Module) -> nn.Module:
    import torch

    with torch.no_grad():
        snapshot = copy.deepcopy(model)
    snapshot.eval()
    return snapshot


def _probabilities(model: nn.Module, out):
    """Class probabilities whatever the stack ends in (scores, log-probabilities, softmax)."""
    from torch import nn

    last = list(model.modules())[-1]
    if isinstance(last, nn.Softmax):
        return out
    return out.softmax(dim=1)


def confusion_matrix(model: nn.Module, data: DeviceData, batch_size: int = 1000) -> np.ndarray:
    """counts[true, predicted] over the whole test set."""
    import torch

    net = _frozen(model)
    classes = len(data.labels)
    counts = torch.zeros(classes * classes, dtype=torch.int64, device=data.device)
    with torch.no_grad():
        for start in range(0, len(data.test_y), batch_size):
            x = data.test_x[start : start + batch_size]
            y = data.test_y[start : start + batch_size]
            predicted = net(x).argmax(1)
            counts += torch.bincount(y * classes + predicted, minlength=classes * classes)
    return counts.view(classes, classes).cpu().numpy()


def _display(data: DeviceData, x) -> np.ndarray:
    """A normalised (C, H, W) image -> (H, W) or (H, W, 3) in [0, 1]."""
    pixels = data.raw(x).clamp(0, 1).cpu().numpy()
    if pixels.shape[0] == 1:
        return pixels[0]
    return np.transpose(pixels[:3], (1, 2, 0))


def top_predictions(
    model: nn.Module, data: DeviceData, count: int = 12, k: int = 3, start: int = 0
) -> list[Prediction]:
    """The first `count` test images from `start`, each with its k most likely classes."""
    import torch

    net = _frozen(model)
    n = len(data.test_y)
    if n == 0:
        return []
    start = max(0, min(start, n - 1))
    x = data.test_x[start : start + count]
    with torch.no_grad():
        probs = _probabilities(net, net(x))
    k = min(k, probs.shape[1])
    values, classes = probs.topk(k, dim=1)
    values, classes = values.cpu().tolist(), classes.cpu().tolist()
    labels = data.test_y[start : start + count].cpu().tolist()
    return [
        Prediction(
            index=start + i,
            image=_display(data, x[i]),
            label=labels[i],
            top=list(zip(classes[i], values[i], strict=True)),
        )
        for i in range(len(labels))
    ]


def _first_conv(model: nn.Module) -> nn.Conv2d | None:
    from torch import nn

    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module
    return None


def first_conv_filters(model: nn.Module) -> np.ndarray | None:
    """The first conv layer's weights (F, C, k, k), or None when the stack has no conv."""
    conv = _first_conv(model)
    if conv is None:
        return None
    return conv.weight.detach().float().cpu().numpy().copy()


def feature_maps(model: nn.Module, data: DeviceData, index: int, relu: bool = True) -> np.ndarray:
    """What the first conv layer makes of test image `index`: (F, H, W), after a ReLU."""
    import torch

    net = _frozen(model)
    conv = _first_conv(net)
    if conv is None:
        raise ValueError("the stack has no conv layer, so it has no feature maps to show")
    index = max(0, min(index, len(data.test_y) - 1))
    with torch.no_grad():
        maps = conv(data.test_x[index : index + 1])[0]
    if relu:
        maps = maps.clamp_min(0)
    return maps.float().cpu().numpy()


def to_picture(array: np.ndarray, symmetric: bool = False) -> np.ndarray:
    """(H, W) values -> (H, W, 3) uint8 grey, scaled to the array's own range; (H, W, 3) pixels
    in [0, 1] -> uint8. symmetric: zero is mid-grey (for filters with signed weights)."""
    a = np.asarray(array, dtype=np.float64)
    if a.ndim == 3:
        return (np.clip(a, 0, 1) * 255).round().astype(np.uint8)
    if symmetric:
        scale = float(np.abs(a).max()) or 1.0
        grey = 0.5 + a / (2 * scale)
    else:
        low, high = float(a.min()), float(a.max())
        grey = (a - low) / (high - low) if high > low else np.zeros_like(a)
    pixels = (np.clip(grey, 0, 1) * 255).round().astype(np.uint8)
    return np.repeat(pixels[:, :, None], 3, axis=2)


PREDICTIONS = 12
"""Test images in the predictions grid, as many as the lecture's CIFAR-10 demo shows per row
set."""


@dataclass(frozen=True)
class PredictionTile:
    """One test image and what the network makes of it, by class name, ready to draw."""

    index: int
    """Its place in the test set."""
    picture: np.ndarray
    """uint8 (H, W, 3), ready to draw."""
    truth: str
    """The true class name."""
    top: tuple[tuple[str, float], ...]
    """The most likely classes with their probabilities, best first."""

    @property
    def correct(self) -> bool:
        return bool(self.top) and self.top[0][0] == self.truth


@dataclass
class ModelViews:
    """What the views tabs show of one run's network, computed off the UI thread."""

    run: str
    """Whose network: the run's name ('adam', 'sgd lr=0.1')."""
    labels: tuple[str, ...]
    """Class names, by class index."""
    index: int
    """The test image whose feature maps are drawn."""
    test_size: int
    matrix: np.ndarray | None = None
    """counts[true, predicted] over the whole test set."""
    tiles: list[PredictionTile] = field(default_factory=list)
    """The first test images with their top-3 guesses."""
    filters: list[np.ndarray] = field(default_factory=list)
    """The first conv layer's filters as pictures."""
    filter_shape: tuple[int, ...] = ()
    """(F, C, k, k) of the first conv layer; () when the stack has none."""
    image: np.ndarray | None = None
    """The chosen test image, as a picture."""
    truth: str = ""
    """The chosen image's true class."""
    maps: list[np.ndarray] = field(default_factory=list)
    """What the first conv layer (after a ReLU) makes of the chosen image, one picture per
    filter."""
    map_shape: tuple[int, ...] = ()
    """(F, H, W) of those maps."""
    maps_only: bool = False
    """Only the feature maps were recomputed (a new image was chosen)."""


def compute_views(
    model: Any, data: Any, run: str, index: int, *, maps_only: bool = False
) -> ModelViews:
    """Everything the views tabs draw, for one network and the test set (torch work).

    maps_only: recompute only the chosen image and its feature maps. A FieldError names the
    test image when `index` is not in the test set."""
    labels = tuple(str(label) for label in data.labels)
    test_size = len(data.test_y)
    if not 0 <= index < test_size:
        raise FieldError("test image", f"pick 0 to {test_size - 1}, not {index}")
    views = ModelViews(run, labels, index, test_size, maps_only=maps_only)
    if not maps_only:
        views.matrix = confusion_matrix(model, data)
        for prediction in top_predictions(model, data, count=PREDICTIONS, k=3):
            views.tiles.append(
                PredictionTile(
                    index=prediction.index,
                    picture=to_picture(prediction.image),
                    truth=labels[prediction.label],
                    top=tuple((labels[c], float(p)) for c, p in prediction.top),
                )
            )
    filters = first_conv_filters(model)
    if filters is None:
        return views
    if not maps_only:
        views.filter_shape = tuple(filters.shape)
        views.filters = [filter_picture(weights) for weights in filters]
    image = data.raw(data.test_x[index]).clamp(0, 1).float().cpu().numpy()
    views.image = to_picture(image.transpose(1, 2, 0) if image.shape[0] == 3 else image[0])
    views.truth = labels[int(data.test_y[index])]
    maps = feature_maps(model, data, index)
    views.map_shape = tuple(maps.shape)
    views.maps = [to_picture(one) for one in maps]
    return views


def filter_picture(weights: np.ndarray) -> np.ndarray:
    """One filter (C, k, k) as a picture: zero weights mid-grey, the sign bright or dark; in
    colour when it reads RGB, else averaged over its input channels."""
    if weights.shape[0] == 3:
        scale = float(np.abs(weights).max()) or 1.0
        return to_picture(0.5 + weights.transpose(1, 2, 0) / (2 * scale))
    return to_picture(weights.mean(axis=0), symmetric=True)
