"""The optimizer playground's engine: 2-D surfaces, optimizer paths from torch.optim, and each
update written out from the core's own formulas (surfaces, setup, paths, updates)."""
