"""Widgets more than one screen uses: labelled fields, messages, result panels, read-only
tables, the quit and recovery dialogs."""
