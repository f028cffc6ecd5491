"""Convolution and pooling arithmetic: output sizes, parameter counts, and the cell-by-cell
traces the stepper shows."""
