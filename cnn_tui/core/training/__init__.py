"""Training: what a run is asked to do, data on the device, the loop, CUDA graphs, checkpoints,
metrics and model views."""
