"""Widgets of the train screen: the form (and its four rows), the curves, the status line,
the race board and the views of a trained model."""
