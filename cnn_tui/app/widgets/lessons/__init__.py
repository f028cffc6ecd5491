"""Widgets of the lessons screen: the lesson list, exercises, choices and the try-it panel."""
