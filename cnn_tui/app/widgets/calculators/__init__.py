"""Widgets of the calculators screen: the receptive-field table."""
