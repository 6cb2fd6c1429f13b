"""What renaming and deleting a tag does to one message's tags, for every store.

Tags are one per spelling ignoring case (`parsing.normalize_tags`), so a tag is named by its
casefolded `key`; the names given are cleaned as Mailpit cleans them (`parsing.clean_tag`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mailtrap.message.parsing import clean_tag, normalize_tags
from mailtrap.storage.base import StoreEvent

__all__ = ["new_name", "renamed", "tag_events", "tag_key", "without"]


def tag_key(tag: str) -> str:
    """The key a stored tag spelled like `tag` has: cleaned, then casefolded."""
    return clean_tag(tag).casefold()


def new_name(name: str) -> str:
    """`name` cleaned as a tag; ValueError naming it when nothing of it is left."""
    cleaned = clean_tag(name)
    if not cleaned:
        raise ValueError(
            f"{name!r} is no tag name: a tag holds ASCII letters, digits, spaces and - _ . @"
        )
    return cleaned


def renamed(tags: Iterable[str], key: str, name: str) -> tuple[str, ...]:
    """`tags` with the one whose key is `key` named `name` instead."""
    return normalize_tags(name if t.casefold() == key else t for t in tags)


def without(tags: Iterable[str], key: str) -> tuple[str, ...]:
    """`tags` without the one whose key is `key`."""
    return tuple(t for t in tags if t.casefold() != key)


def tag_events(changes: Mapping[str, tuple[str, ...]]) -> list[StoreEvent]:
    """The `update` events for message id -> its new tags: one per set of tags, since an
    event gives all its ids the same tags. In the order of `changes`."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for id, tags in changes.items():
        groups.setdefault(tags, []).append(id)
    return [StoreEvent("update", tuple(ids), tags=tags) for tags, ids in groups.items()]
