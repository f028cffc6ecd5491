"""Fooling the network: the fast gradient sign method, and the smallest ε that flips it.

The image is perturbed where it is a picture: the [0, 1] pixels at the stack's input size,
before the normalisation. x' = clip(x + ε·sign(∇x L), 0, 1), L the training loss of the class
the network predicts for the clean image, so `changed` means the top class moved."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .activations import Prediction, prediction
from .inputs import InputImage, normalise
from .network import InspectError, Network

if TYPE_CHECKING:
    import numpy as np
    import torch

SEARCH_STEP = 0.001
SEARCH_LIMIT = 0.5
MAX_EPSILON = 1.0
"""Past 1 every pixel is already pushed to 0 or 1."""


@dataclass(frozen=True)
class Fgsm:
    """One perturbed image and what the network makes of it."""

    epsilon: float
    target: int
    """The class whose loss the step increases (the clean image's prediction)."""
    perturbation: np.ndarray = field(compare=False, repr=False)
    """(C, H, W): ε·sign(∇x L), in pixel units (before clipping)."""
    pixels: np.ndarray = field(compare=False, repr=False)
    """(C, H, W): the perturbed picture, clipped to [0, 1]."""
    prediction: Prediction
    changed: bool
    """Whether the top class differs from the clean image's."""

    def to_dict(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon, "changed": self.changed, **self.prediction.to_dict()}


@dataclass(frozen=True)
class FlipSearch:
    """The first ε on the grid step, 2·step, ... up to limit that changes the top class
    (flipping need not be monotone in ε, so this is the first, not a boundary)."""

    step: float
    limit: float
    epsilon: float | None
    """None when no grid value up to the limit flips it."""
    result: Fgsm | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "limit": self.limit,
            "epsilon": self.epsilon,
            "top3": None if self.result is None else self.result.prediction.to_dict()["top3"],
        }


def _check_epsilon(epsilon: float) -> None:
    if not 0.0 <= epsilon <= MAX_EPSILON:  # also refuses nan
        raise InspectError(f"--fgsm {epsilon}: ε is from 0 to {MAX_EPSILON:g} (pixels are 0-1)")


def loss_sign(network: Network, image: InputImage, target: int) -> torch.Tensor:
    """sign(∇x L) for the (1, C, H, W) [0, 1] pixels, L the training loss of `target`."""
    import torch

    from ..training.evaluation import _loss_function

    pixels = torch.from_numpy(image.pixels).unsqueeze(0).requires_grad_(True)
    with torch.enable_grad():
        output = network.model(normalise(pixels, network))
        loss = _loss_function(network.stack)(output.reshape(1, -1), torch.tensor([target]))
        (grad,) = torch.autograd.grad(loss, [pixels])
    return grad.sign()


def fgsm(network: Network, image: InputImage, epsilon: float) -> Fgsm:
    import torch

    _check_epsilon(epsilon)
    with torch.no_grad():
        clean = prediction(network, network.model(image.x)).predicted
    return _perturbed(network, image, epsilon, clean, loss_sign(network, image, clean))


def _perturbed(
    network: Network, image: InputImage, epsilon: float, clean: int, sign: torch.Tensor
) -> Fgsm:
    import torch

    step = epsilon * sign
    pixels = (torch.from_numpy(image.pixels).unsqueeze(0) + step).clamp(0.0, 1.0)
    with torch.no_grad():
        result = prediction(network, network.model(normalise(pixels, network)))
    return Fgsm(
        epsilon=epsilon,
        target=clean,
        perturbation=step[0].numpy().copy(),
        pixels=pixels[0].numpy().copy(),
        prediction=result,
        changed=result.predicted != clean,
    )


def grid(step: float = SEARCH_STEP, limit: float = SEARCH_LIMIT) -> list[float]:
    """step, 2·step, ... up to limit, each rounded so 0.001 * 7 reads 0.007."""
    if not (0.0 < step <= limit <= MAX_EPSILON):
        raise InspectError(f"the ε grid needs 0 < step <= limit <= {MAX_EPSILON:g}")
    count = round(limit / step)
    return [round(k * step, 9) for k in range(1, count + 1)]


def smallest_flip(
    network: Network,
    image: InputImage,
    step: float = SEARCH_STEP,
    limit: float = SEARCH_LIMIT,
    batch: int = 100,
) -> FlipSearch:
    """The first grid ε whose FGSM image changes the top class: the grid is tried in batches,
    and the first flip the batch finds is confirmed by `fgsm` itself."""
    import torch

    epsilons = grid(step, limit)
    with torch.no_grad():
        clean = prediction(network, network.model(image.x)).predicted
    sign = loss_sign(network, image, clean)
    base = torch.from_numpy(image.pixels).unsqueeze(0)
    for start in range(0, len(epsilons), batch):
        chunk = epsilons[start : start + batch]
        eps = torch.tensor(chunk, dtype=torch.float32).view(-1, 1, 1, 1)
        pixels = (base + eps * sign).clamp(0.0, 1.0)
        with torch.no_grad():
            from .activations import probabilities

            probs = probabilities(network, network.model(normalise(pixels, network)))
        for k in (probs.argmax(dim=1) != clean).nonzero().flatten().tolist():
            result = _perturbed(network, image, chunk[k], clean, sign)
            if result.changed:
                return FlipSearch(step, limit, chunk[k], result)
    return FlipSearch(step, limit, None, None)
