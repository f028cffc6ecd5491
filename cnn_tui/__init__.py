"""cnn-tui: a terminal learning sandbox for convolutional neural networks."""

__version__ = "0.1.0"
