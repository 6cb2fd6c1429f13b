"""Checks of a stored message: what a receiving mail system or a reader would make of it."""
