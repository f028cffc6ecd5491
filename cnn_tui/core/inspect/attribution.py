"""Where the network looks: the gradient of the top class's score with respect to the input
(saliency) and Grad-CAM on the last conv layer, as arrays a screen draws over the input, and
as PNG files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .activations import hooked
from .inputs import InputImage
from .network import InspectError, LayerRow, Network

if TYPE_CHECKING:
    import numpy as np

PNG_SIDE = 224
"""PNG files are scaled up (nearest neighbour, whole multiples) to at least this many pixels."""


@dataclass(frozen=True)
class Saliency:
    """Saliency and Grad-CAM for one class of one image.

    The score is the network's output for that class: a raw score (logit), or the
    log-probability or probability where the stack ends with log_softmax or softmax."""

    target: int
    name: str
    score: float
    gradient: np.ndarray = field(compare=False, repr=False)
    """(C, H, W): d score / d input, the input being the normalised image the network is fed."""
    saliency: np.ndarray = field(compare=False, repr=False)
    """(H, W): the largest |gradient| over the channels (Simonyan et al.)."""
    gradcam_layer: LayerRow | None
    """The last conv layer (None when the network has no conv layer)."""
    gradcam: np.ndarray | None = field(compare=False, repr=False)
    """(h, w) at that layer's size: ReLU(sum_k alpha_k A_k), alpha_k the mean gradient of map k."""
    gradcam_map: np.ndarray | None = field(compare=False, repr=False)
    """(H, W): Grad-CAM resized to the input (bilinear) to draw over it."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": self.name,
            "score": self.score,
            "saliency": _stats(self.saliency),
            "gradcam": None
            if self.gradcam is None or self.gradcam_layer is None
            else {"layer": self.gradcam_layer.row, "shape": list(self.gradcam.shape)}
            | _stats(self.gradcam),
        }


def _stats(values: np.ndarray) -> dict[str, float]:
    return {"min": float(values.min()), "max": float(values.max()), "mean": float(values.mean())}


def last_conv(network: Network) -> LayerRow | None:
    convs = [row for row in network.rows if row.kind == "conv"]
    return convs[-1] if convs else None


def saliency(network: Network, image: InputImage, target: int | None = None) -> Saliency:
    """Saliency and Grad-CAM for `target` (the top class when None)."""
    import torch
    import torch.nn.functional as F

    from .activations import prediction

    layer = last_conv(network)
    x = image.x.detach().clone().requires_grad_(True)
    with torch.enable_grad(), hooked(network, (layer,) if layer else ()) as seen:
        output = network.model(x)
    scores = output.reshape(1, -1)
    if target is None:
        target = prediction(network, output).predicted
    if not 0 <= target < scores.shape[1]:
        raise InspectError(f"class {target} is not one of the network's {scores.shape[1]}")
    score = scores[0, target]
    maps = seen[layer.row][1] if layer else None
    wanted = [x] if maps is None else [x, maps]
    grads = torch.autograd.grad(score, wanted)
    gradient = grads[0][0]
    cam = cam_map = None
    if maps is not None:
        alpha = grads[1][0].mean(dim=(1, 2))
        cam_t = torch.relu((alpha.view(-1, 1, 1) * maps[0]).sum(dim=0)).detach()
        size = tuple(gradient.shape[1:])
        up = F.interpolate(cam_t[None, None], size=size, mode="bilinear", align_corners=False)
        cam, cam_map = cam_t.numpy().copy(), up[0, 0].numpy().copy()
    names = network.labels
    return Saliency(
        target=target,
        name=names[target] if target < len(names) else str(target),
        score=float(score.detach()),
        gradient=gradient.numpy().copy(),
        saliency=gradient.abs().amax(dim=0).numpy().copy(),
        gradcam_layer=layer,
        gradcam=cam,
        gradcam_map=cam_map,
    )


def write_pngs(folder: str | Path, image: InputImage, result: Saliency) -> tuple[Path, ...]:
    """input.png, saliency.png and gradcam.png (Grad-CAM over the input in red) in `folder`,
    each map scaled so its largest value is white."""
    import numpy as np

    target = Path(folder).expanduser()
    pixels = np.clip(image.pixels, 0.0, 1.0)
    grey = pixels.mean(axis=0)
    pictures = {"input.png": pixels.transpose(1, 2, 0), "saliency.png": _unit(result.saliency)}
    if result.gradcam_map is not None:
        heat = _unit(result.gradcam_map)
        pictures["gradcam.png"] = np.stack([np.maximum(grey, heat), grey * 0.6, grey * 0.6], -1)
    return tuple(_write_png(target / name, values) for name, values in pictures.items())


def _unit(values: np.ndarray) -> np.ndarray:
    top = float(values.max())
    return values / top if top > 0 else values * 0.0


def _write_png(path: Path, values: np.ndarray) -> Path:
    """(H, W), (H, W, 1) or (H, W, 3) values in [0, 1] -> an 8-bit PNG, scaled up."""
    import numpy as np
    from PIL import Image

    from ..safe_files import write_atomic

    array = np.clip(values, 0.0, 1.0)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    scale = max(1, -(-PNG_SIDE // max(array.shape[:2])))
    array = array.repeat(scale, axis=0).repeat(scale, axis=1)
    picture = Image.fromarray((array * 255.0 + 0.5).astype(np.uint8))
    write_atomic(path, lambda handle: picture.save(handle, format="PNG"))
    return path
