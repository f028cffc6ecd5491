"""The headless engine: arithmetic, steppers, layer stacks and tallies (numpy only at import)."""
