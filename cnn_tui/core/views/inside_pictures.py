"""Arrays of the inside view as uint8 RGB pictures: maps scaled to their own range, signed
values around mid-grey, a heat map over a grey input. NumPy only; the app draws them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def grey(values: np.ndarray, symmetric: bool = False) -> np.ndarray:
    """(H, W) -> (H, W, 3) uint8: the array's own range black to white, or, symmetric, zero
    mid-grey and the largest |value| black or white."""
    import numpy as np

    a = np.asarray(values, dtype=np.float64)
    if symmetric:
        scale = float(np.abs(a).max()) or 1.0
        unit = 0.5 + a / (2 * scale)
    else:
        low, high = float(a.min()), float(a.max())
        unit = (a - low) / (high - low) if high > low else np.zeros_like(a)
    pixels = (np.clip(unit, 0.0, 1.0) * 255).round().astype(np.uint8)
    return np.repeat(pixels[:, :, None], 3, axis=2)


def pixels_picture(pixels: np.ndarray) -> np.ndarray:
    """(C, H, W) [0, 1] input pixels -> (H, W, 3) uint8 (grey for one channel)."""
    import numpy as np

    a = np.clip(np.asarray(pixels, dtype=np.float64), 0.0, 1.0)
    rgb = np.repeat(a, 3, axis=0) if a.shape[0] == 1 else a[:3]
    return (rgb.transpose(1, 2, 0) * 255).round().astype(np.uint8)


def heat_over(pixels: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """A map (H, W) in red over the input's grey (C, H, W): the map scaled to its own maximum."""
    import numpy as np

    base = np.clip(np.asarray(pixels, dtype=np.float64), 0.0, 1.0).mean(axis=0) * 0.6
    h = np.asarray(heat, dtype=np.float64)
    top = float(h.max())
    unit = h / top if top > 0 else np.zeros_like(h)
    rgb = np.stack([np.maximum(base, unit), base, base * (1 - unit)], axis=-1)
    return (np.clip(rgb, 0.0, 1.0) * 255).round().astype(np.uint8)
