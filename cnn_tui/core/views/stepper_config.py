"""The stepper's settings as one config, read from the texts its form fields hold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .fields import read_bias, read_padding, read_whole, read_whole_or_pair

MAX_CHANNELS = 4
"""The most input channels C_in the stepper shows."""
MAX_FILTERS = 4
"""The most conv filters K the stepper shows."""


@dataclass(frozen=True)
class StepperConfig:
    """Everything the stepper's form decides; the grids hold the numbers."""

    operation: str = "conv2d"
    """'conv2d', 'conv1d', 'maxpool', 'avgpool' or 'l2pool'."""
    channels: int = 1
    """Input channels C_in."""
    filters: int = 1
    """Conv filters K (pooling keeps the channels)."""
    stride: int | tuple[int, int] | None = 1
    """None for pooling means 'the window size', as in PyTorch; (h, w) when the axes differ."""
    padding: int | tuple[int, int] | str = 0
    """A number (or (h, w)), or 'valid' / 'same' / 'full' (the output mode)."""
    dilation: int | tuple[int, int] = 1
    bias: tuple[float, ...] = field(default=(0.0,))
    """One bias per filter, or one shared by all."""
    mode: str = "correlation"
    """'correlation' (what frameworks call convolution) or 'convolution' (kernel flipped)."""
    size: int | tuple[int, int] = 2
    """Pooling window size, or (h, w) for a rectangular window such as 3x1."""
    ceil_mode: bool = False

    @property
    def is_pool(self) -> bool:
        return self.operation.endswith("pool")

    def texts(self) -> dict[str, str]:
        """The text each typed field shows for this config (the inverse of read_config)."""
        return {
            "channels": str(self.channels),
            "filters": str(self.filters),
            "size": shown(self.size),
            "stride": "" if self.stride is None else shown(self.stride),
            "padding": shown(self.padding),
            "dilation": shown(self.dilation),
            "bias": ", ".join(f"{b:g}" for b in self.bias),
        }


def shown(value: int | tuple[int, int] | str) -> str:
    """A setting as its field shows it: 2, same, or 3x1."""
    return "x".join(map(str, value)) if isinstance(value, tuple) else str(value)


def read_config(
    operation: str, texts: Mapping[str, str], mode: str = "correlation", ceil_mode: bool = False
) -> StepperConfig:
    """The config typed field texts describe (keys as in StepperConfig.texts); raises
    FieldError naming the first field at fault. Fields the operation hides are not read."""
    pool = operation.endswith("pool")
    stride_text = texts["stride"].strip()
    stride = (
        None if pool and not stride_text else read_whole_or_pair("stride", stride_text, minimum=1)
    )
    channels = read_whole("channels", texts["channels"], minimum=1, maximum=MAX_CHANNELS)
    filters = 1 if pool else read_whole("filters", texts["filters"], minimum=1, maximum=MAX_FILTERS)
    return StepperConfig(
        operation=operation,
        channels=channels,
        filters=filters,
        stride=stride,
        padding=read_padding("padding", texts["padding"], pairs=True),
        dilation=1 if pool else read_whole_or_pair("dilation", texts["dilation"], minimum=1),
        bias=(0.0,) if pool else read_bias("bias", texts["bias"]),
        mode=mode,
        size=read_whole_or_pair("window size", texts["size"], minimum=1) if pool else 2,
        ceil_mode=ceil_mode,
    )
