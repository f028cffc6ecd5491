"""The `cnn-tui` command: calculators, summaries, steppers and exports printed with Rich."""

from ..core.training.train_config import parse_augment
from .main import main
from .render import render_train_result

__all__ = ["main", "parse_augment", "render_train_result"]
