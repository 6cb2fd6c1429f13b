"""Message stores: one `MessageStore` protocol, in memory and in SQLite."""

from __future__ import annotations

from mailtrap.storage.base import (
    MessageStore,
    Page,
    StoreDescription,
    StoredMessage,
    StoreEvent,
    Subscriber,
)
from mailtrap.storage.memory import MemoryStore
from mailtrap.storage.sqlite import SQLiteStore

__all__ = [
    "MemoryStore",
    "MessageStore",
    "Page",
    "SQLiteStore",
    "StoreDescription",
    "StoreEvent",
    "StoredMessage",
    "Subscriber",
]
