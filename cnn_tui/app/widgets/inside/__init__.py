"""The inside view's widgets: the drawing canvas."""
