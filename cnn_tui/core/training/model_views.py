"""What a trained network has learned, as numbers ready to draw: a confusion matrix, top-3
predictions for test images, the first conv layer's filters and one image's feature maps.

Each view works on a frozen copy of the model, so it is safe while another thread trains it.
torch is imported inside the functions.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

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
