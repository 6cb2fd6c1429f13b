"""Parsed messages for the message routes: one parse per message, not one per request.

Opening a message in the inbox is a page, its HTML frame and each inline image: a request
each, and each needs the message parsed. `ParsedCache` keeps the last few parses, so they
share one.

Why it can never serve stale data:
- it is keyed by message ID, and a stored message's raw bytes and envelope never change (IDs
  are random and never reused), so neither does their parse;
- what can change, the summary's `read` and `tags`, is read fresh from `store.stored` on every
  request (a lookup, not a parse) and laid over the cached parse;
- a deleted message fails that lookup with a 404 before the cache is consulted, and its entry
  is dropped then (or when it becomes the least recently used).

Bounded by count (`MAX_MESSAGES`) and by an estimate of the memory a parse holds
(`MAX_BYTES`); a message estimated larger than that is parsed per request and not kept.
Thread-safe: FastAPI runs sync routes on a thread pool. One lock guards the table; parsing
runs outside it, so two first requests for a message at once may both parse it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace

from mailtrap.errors import MessageNotFound
from mailtrap.message.models import Message, MessageSummary
from mailtrap.message.parsing import parse_message
from mailtrap.storage.base import MessageStore

__all__ = ["MAX_BYTES", "MAX_MESSAGES", "ParsedCache"]

MAX_MESSAGES = 16  # a few messages opened in turn, each with its frame and images
MAX_BYTES = 64 * 1024 * 1024  # enough for one message at the default 25 MiB SMTP size limit

_SUMMARY_FIELDS = tuple(MessageSummary.__dataclass_fields__)


def weight(message: Message) -> int:
    """Roughly the memory `message` holds: its raw bytes, its decoded bodies and parts."""
    parts = sum(p.size for p in (*message.attachments, *message.inline))
    return len(message.raw) + len(message.text) + len(message.html) + parts


class ParsedCache:
    """The most recently used parses, at most `max_messages` of them and `max_bytes` in all."""

    def __init__(self, *, max_messages: int = MAX_MESSAGES, max_bytes: int = MAX_BYTES) -> None:
        if max_messages < 1 or max_bytes < 1:
            raise ValueError(
                f"max_messages and max_bytes must be 1 or more, got {max_messages}, {max_bytes}"
            )
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[Message, int]] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def message(self, store: MessageStore, id: str) -> Message:
        """Message `id` of `store`, parsed at most once while it stays cached; its summary is
        the store's current one. Raises `MessageNotFound` (and forgets `id`) if it is gone."""
        try:
            stored = store.stored(id)
        except MessageNotFound:
            self._forget(id)
            raise
        with self._lock:
            entry = self._entries.get(id)
            if entry is not None:
                self._entries.move_to_end(id)
        if entry is not None:
            current = stored.summary
            return replace(entry[0], **{n: getattr(current, n) for n in _SUMMARY_FIELDS})
        message = parse_message(stored.raw, stored.summary, stored.envelope)
        self._keep(id, message)
        return message

    def _keep(self, id: str, message: Message) -> None:
        size = weight(message)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(id, None)
            self._bytes += size - (old[1] if old else 0)
            self._entries[id] = (message, size)
            while len(self._entries) > self.max_messages or self._bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def _forget(self, id: str) -> None:
        with self._lock:
            old = self._entries.pop(id, None)
            if old is not None:
                self._bytes -= old[1]
