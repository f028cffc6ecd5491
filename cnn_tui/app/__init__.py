"""The Textual app: screens and widgets that draw what cnn_tui.core computes."""
