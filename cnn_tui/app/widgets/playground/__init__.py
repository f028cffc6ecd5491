"""Widgets of the optimizer playground: the surface map, the loss plot and the settings."""
