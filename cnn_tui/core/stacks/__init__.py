"""Layer stacks: layer types and the spec syntax, the tally, the zoo of presets, stack files,
edits, and the bridge to PyTorch."""
