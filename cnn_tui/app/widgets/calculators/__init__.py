"""Widgets of the calculators screen: one panel per tab (size, parameters, receptive field,
summary) and the receptive-field table."""
