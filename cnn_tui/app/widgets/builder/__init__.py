"""Widgets of the builder screen: the stack table, the layer form, the file and export
dialogs."""
