"""`words("a b c")`: the tables of feature names are written as prose-like strings."""

from __future__ import annotations


def words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of `text`."""
    return tuple(text.split())
