"""Widgets of the train screen: the form, the curves, the status line, the race board and
the views of a trained model."""
