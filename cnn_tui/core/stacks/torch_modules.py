"""The three block modules (Residual, Concat, DenseBlock) that torch itself does not ship.

Only torch_bridge imports this module, and only inside its functions, so importing torch at the
top here costs nothing at start-up. The class sources are also copied verbatim into exported
PyTorch files, so each class must stand alone: plain torch, no imports from cnn_tui.
"""

import torch
from torch import nn


class Residual(nn.Module):
    """y = body(x) + shortcut(x); without a shortcut the input itself is added (identity)."""

    def __init__(self, body: nn.Module, shortcut: nn.Module | None = None):
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x):
        skip = x if self.shortcut is None else self.shortcut(x)
        return self.body(x) + skip


class Concat(nn.Module):
    """Runs every branch on the same input and stacks their outputs along the channels."""

    def __init__(self, *branches: nn.Module):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class DenseBlock(nn.Module):
    """DenseNet block: each layer reads the input and all earlier outputs, joined on channels.

    The block returns that whole concatenation: input channels + one growth per layer.
    """

    def __init__(self, layers: list[nn.Module]):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features, dim=1)
