"""Widgets of the stepper screen: the editable number grid and the settings panel."""
