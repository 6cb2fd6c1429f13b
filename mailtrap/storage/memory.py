"""A store that keeps everything in process memory: the default for the pytest fixtures.

Writes happen on the caller's thread under one lock, so a message is visible to readers the
moment `add` returns. `submit` runs `add` on a thread of its own, which parses there.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, datetime
from itertools import islice

from mailtrap.errors import MessageNotFound, StoreClosed, TagExists, TagNotFound
from mailtrap.message.models import Envelope, Message, MessageSummary
from mailtrap.message.parsing import normalize_tags, parse_message, summarize
from mailtrap.message.search import Query, parse_query
from mailtrap.message.searchtext import COLUMNS, indexed_text, tags_text
from mailtrap.storage._common import Subscribers, check_page
from mailtrap.storage._match import Entry, matches
from mailtrap.storage._offload import Offload
from mailtrap.storage._tags import new_name, renamed, tag_events, tag_key, without
from mailtrap.storage.base import (
    DEFAULT_MAX_MESSAGES,
    Page,
    StoreDescription,
    StoredMessage,
    StoreEvent,
    Subscriber,
    Wanted,
    new_id,
)
from mailtrap.storage.tagrules import TagRule, apply_rules

__all__ = ["MemoryStore"]


class MemoryStore:
    """An in-memory `MessageStore`. `max_messages=0` keeps everything; `tag_rules` tag
    arriving mail (`mailtrap.storage.tagrules`)."""

    def __init__(
        self, *, max_messages: int = DEFAULT_MAX_MESSAGES, tag_rules: Sequence[TagRule] = ()
    ) -> None:
        if max_messages < 0:
            raise ValueError(f"max_messages must be 0 (unlimited) or more, got {max_messages}")
        self.max_messages = max_messages
        self.tag_rules = tuple(tag_rules)
        self._lock = threading.RLock()
        self._entries: dict[str, Entry] = {}  # insertion order is arrival order
        self._unread = 0
        self._subscribers = Subscribers()
        self._closed = False
        self._adder = Offload(self.add, name="mailtrap-memory-add")

    def __repr__(self) -> str:
        return f"MemoryStore(messages={len(self._entries)}, max_messages={self.max_messages})"

    # -- writes ----------------------------------------------------------------------------

    def submit(self, raw: bytes, envelope: Envelope) -> Future[MessageSummary]:
        return self._adder.submit(raw, envelope)  # `add`, on a thread of its own

    def add(self, raw: bytes, envelope: Envelope) -> MessageSummary:
        raw = bytes(raw)
        # Outside the lock: parsing (and any tag rule) is the slow part.
        digest = apply_rules(self.tag_rules, summarize(raw, envelope), raw)
        text = indexed_text(digest)
        columns = {c.name: t for c, t in zip(COLUMNS, text, strict=True)}
        with self._lock:
            self._check_open()
            summary = digest.to_summary(id=new_id(), created=datetime.now(UTC), size=len(raw))
            self._entries[summary.id] = Entry(summary, raw, envelope, columns, digest.inline_count)
            self._unread += 1
            pruned = self._prune()
            # Emitted under the lock so that subscribers see events in commit order.
            self._subscribers.emit(StoreEvent("new", (summary.id,), summary=summary))
            if pruned:
                self._subscribers.emit(StoreEvent("delete", tuple(pruned), pruned=True))
        return summary

    def _prune(self) -> builtins.list[str]:
        excess = len(self._entries) - self.max_messages if self.max_messages else 0
        if excess <= 0:
            return []
        victims = list(islice(self._entries, excess))
        for id in victims:
            self._remove(id)
        return victims

    def _remove(self, id: str) -> None:
        entry = self._entries.pop(id)
        self._unread -= not entry.summary.read

    def mark_read(self, ids: Iterable[str], read: bool = True) -> int:
        with self._lock:
            self._check_open()
            found = [id for id in dict.fromkeys(ids) if id in self._entries]
            changed = []
            for id in found:
                entry = self._entries[id]
                if entry.summary.read != read:
                    entry.summary = replace(entry.summary, read=read)
                    self._unread += -1 if read else 1
                    changed.append(id)
            if changed:
                self._subscribers.emit(StoreEvent("update", tuple(changed), read=read))
            return len(found)

    def delete(self, ids: Iterable[str]) -> int:
        with self._lock:
            self._check_open()
            found = [id for id in dict.fromkeys(ids) if id in self._entries]
            for id in found:
                self._remove(id)
            if found:
                self._subscribers.emit(StoreEvent("delete", tuple(found)))
            return len(found)

    def delete_all(self) -> int:
        with self._lock:
            self._check_open()
            count = len(self._entries)
            self._entries.clear()
            self._unread = 0
            self._subscribers.emit(StoreEvent("delete", all=True, count=count))
            return count

    # -- reads -----------------------------------------------------------------------------

    def get(self, id: str) -> Message:
        entry = self.stored(id)
        return parse_message(entry.raw, entry.summary, entry.envelope)

    def stored(self, id: str) -> StoredMessage:
        entry = self._entry(id)
        return StoredMessage(entry.summary, entry.envelope, entry.raw)

    def get_raw(self, id: str) -> bytes:
        return self._entry(id).raw

    def list(self, start: int = 0, limit: int = 50) -> Page:
        check_page(start, limit)
        with self._lock:
            newest = reversed(self._entries.values())
            page = tuple(e.summary for e in islice(newest, start, start + limit))
            return Page(page, len(self._entries), self._unread, start)

    def search(self, query: str | Query, start: int = 0, limit: int = 50) -> Page:
        check_page(start, limit)
        parsed = parse_query(query) if isinstance(query, str) else query
        with self._lock:
            hits = [e.summary for e in self._newest() if matches(parsed, e)]
        unread = sum(not s.read for s in hits)
        return Page(tuple(hits[start : start + limit]), len(hits), unread, start)

    def neighbors(self, id: str) -> tuple[str | None, str | None]:
        with self._lock:
            self._entry(id)
            order = list(self._entries)  # oldest first
        at = order.index(id)
        newer = order[at + 1] if at + 1 < len(order) else None
        return newer, order[at - 1] if at > 0 else None

    def ids(self, query: str | Query = "") -> builtins.list[str]:
        parsed = parse_query(query) if isinstance(query, str) else query
        with self._lock:
            return [e.summary.id for e in self._newest() if matches(parsed, e)]

    def tags(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        spelling: dict[str, str] = {}
        with self._lock:
            for entry in self._entries.values():
                for tag in entry.summary.tags:
                    key = spelling.setdefault(tag.casefold(), tag)
                    counts[key] = counts.get(key, 0) + 1
        return {t: counts[t] for t in sorted(counts, key=str.casefold)}

    def set_tags(self, ids: Iterable[str], tags: Iterable[str]) -> int:
        new = normalize_tags(tags)
        with self._lock:
            self._check_open()
            found = [id for id in dict.fromkeys(ids) if id in self._entries]
            for id in found:
                entry = self._entries[id]
                entry.summary = replace(entry.summary, tags=new)
                entry.text["tags"] = tags_text(new)
            if found:
                self._subscribers.emit(StoreEvent("update", tuple(found), tags=new))
            return len(found)

    def rename_tag(self, old: str, new: str) -> int:
        key, name = tag_key(old), new_name(new)
        with self._lock:
            self._check_open()
            carrying = self._carrying(key, old)
            if name.casefold() != key and name.casefold() in map(str.casefold, self.tags()):
                raise TagExists(old, name)
            self._retag({id: renamed(tags, key, name) for id, tags in carrying.items()})
            return len(carrying)

    def delete_tag(self, tag: str) -> int:
        key = tag_key(tag)
        with self._lock:
            self._check_open()
            carrying = self._carrying(key, tag)
            self._retag({id: without(tags, key) for id, tags in carrying.items()})
            return len(carrying)

    def _carrying(self, key: str, tag: str) -> dict[str, tuple[str, ...]]:
        found = {
            id: e.summary.tags
            for id, e in self._entries.items()
            if any(t.casefold() == key for t in e.summary.tags)
        }
        if not found:
            raise TagNotFound(tag)
        return found

    def _retag(self, changes: Mapping[str, tuple[str, ...]]) -> None:
        for id, tags in changes.items():
            entry = self._entries[id]
            entry.summary = replace(entry.summary, tags=tags)
            entry.text["tags"] = tags_text(tags)
        for event in tag_events(changes):
            self._subscribers.emit(event)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def describe(self) -> StoreDescription:
        return StoreDescription("memory")

    def storage_size(self) -> int:
        with self._lock:
            return sum(len(e.raw) for e in self._entries.values())

    def count(self, *, unread: bool = False) -> int:
        with self._lock:
            return self._unread if unread else len(self._entries)

    def subscribe(self, callback: Subscriber, *, summaries: Wanted = True) -> Callable[[], None]:
        return self._subscribers.add(callback, summaries)

    def close(self) -> None:
        self._adder.close()  # what was submitted is stored first, as in the SQLite store
        with self._lock:
            self._closed = True

    def _newest(self) -> Iterator[Entry]:
        return reversed(self._entries.values())

    def _entry(self, id: str) -> Entry:
        with self._lock:
            try:
                return self._entries[id]
            except KeyError:
                raise MessageNotFound(id) from None

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("this MemoryStore is closed; create a new one")
