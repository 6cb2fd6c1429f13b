"""The one interface every message store implements, and the values it exchanges.

Contract (checked by tests/storage/test_contract.py against every implementation):

- Every method is thread-safe. `submit` returns at once: it never parses nor waits on the
  caller's thread (the caller is often an event loop), so the parse runs on a thread of the
  store's own. Everything else may block briefly.
- `submit(raw, envelope)` stores `raw` exactly as given and resolves its future with the new
  summary once the message is durable (for SQLite: committed). The future fails only if the
  store itself fails (disk full, closed); malformed mail is stored like any other.
- Ids are opaque, URL-safe strings, unique within a store. Order is arrival order.
- `list` and `search` return the newest first. `start` skips that many matches (at most
  `MAX_START`); `limit` caps the page. `Page.total`/`Page.unread` count every match, not just
  the page.
- `get`, `get_raw` and `stored` raise `MessageNotFound` for an unknown id. `get` parses the
  raw bytes on every call, so the result always reflects them; `stored` never parses, so a
  caller that keeps parsed messages (the web app's cache) pays a lookup, not a parse. A
  message's raw bytes and envelope never change; its `read` and `tags` may.
- With `max_messages > 0`, adding a message beyond the limit deletes the oldest ones, which
  are announced like any other deletion.
- `set_tags`, `rename_tag` and `delete_tag` announce each change as `update` events, one per
  distinct new set of tags.
- `now()` is the clock `created` is read from.
- `describe()` says what the store is and where its mail lives, for people and /api/v1/info.
- `subscribe(callback)` calls `callback(event)` after each committed change, on the thread that
  made it, in commit order. Callbacks must be quick and must not call back into the store's
  write methods synchronously; an exception from one is logged and does not reach the writer.
  The returned function unsubscribes.
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from mailtrap.message.models import Envelope, Message, MessageSummary
from mailtrap.message.search import Query

__all__ = [
    "MAX_START",
    "MessageStore",
    "Page",
    "StoreDescription",
    "StoreEvent",
    "StoredMessage",
    "Subscriber",
    "new_id",
]

DEFAULT_MAX_MESSAGES = 10_000
# A billion: past the end of any mailbox, and far inside the 64-bit offsets SQLite and
# itertools take (beyond those a start was a 500, not an empty page).
MAX_START = 1_000_000_000


def new_id() -> str:
    """A fresh message id: 22 URL-safe characters (128 random bits), like Mailpit's."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of summaries, newest first, with counts over all matches."""

    messages: tuple[MessageSummary, ...]
    total: int
    unread: int
    start: int


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One message as a store holds it: the raw bytes, and the summary and envelope beside
    them. `parsing.parse_message(raw, summary, envelope)` makes the full `Message` of it."""

    summary: MessageSummary
    envelope: Envelope
    raw: bytes


@dataclass(frozen=True, slots=True)
class StoreEvent:
    """A committed change. `new` carries the summary (one message per event); `update` and
    `delete` carry ids. The one exception: another process's new mail, while no subscriber
    wants summaries (see `MessageStore.subscribe`), may come as one `new` event with several ids
    and no summary.

    `all` is true for a delete of everything (then `ids` is empty and `count` says how many
    messages there were). `pruned` is true for the store's own delete of the oldest messages
    beyond `max_messages`. An `update` sets `read` (the new read state of every id) or `tags`
    (the new tags of every id). `reset` (only from a store shared with other processes, after
    it lost touch with them) says changes may have been missed: whoever keeps a view of the
    store reloads it.

    `remote` is true for a change another process sharing the store made (a PostgreSQL store
    hears of those too): shown like any other, but not acted on twice (the automatic relay
    sends only the mail this process received).
    """

    kind: Literal["new", "update", "delete", "reset"]
    ids: tuple[str, ...] = ()
    summary: MessageSummary | None = None
    read: bool | None = None
    tags: tuple[str, ...] | None = None
    all: bool = False
    count: int = 0
    pruned: bool = False
    remote: bool = False


Subscriber = Callable[[StoreEvent], None]
# Whether a subscriber wants summaries: a constant, or asked each time (see `subscribe`).
Wanted = bool | Callable[[], bool]


@dataclass(frozen=True, slots=True)
class StoreDescription:
    """What `MessageStore.describe()` says: `kind` names the implementation (e.g. "SQLite",
    "memory"), `path` the file the mail is kept in, or `location` the server it is kept on (a
    database URL without its password). Neither: the mail is lost on exit. `instance` names
    this process among several sharing the store (None: the store is not shared)."""

    kind: str
    path: Path | None = None
    location: str | None = None
    instance: str | None = None

    @property
    def database(self) -> str:
        """Where the mail is, as /api/v1/info's `Database` reports it: the path or location,
        or the kind."""
        if self.path is not None:
            return str(self.path)
        return self.kind if self.location is None else self.location

    def __str__(self) -> str:
        if self.path is None and self.location is None:
            return f"{self.kind} (lost on exit)"
        return f"{self.kind} at {self.database}"


@runtime_checkable
class MessageStore(Protocol):
    """Where captured mail lives. See the module docstring for the full contract."""

    def submit(self, raw: bytes, envelope: Envelope) -> Future[MessageSummary]:
        """Queue `raw` for storage; the future resolves when it is durable."""
        ...

    def add(self, raw: bytes, envelope: Envelope) -> MessageSummary:
        """Store `raw` and return its summary once it is durable."""
        ...

    def get(self, id: str) -> Message:
        """The fully parsed message `id`."""
        ...

    def get_raw(self, id: str) -> bytes:
        """The raw bytes of message `id`, exactly as stored."""
        ...

    def stored(self, id: str) -> StoredMessage:
        """Message `id` as stored (raw bytes, current summary, envelope), without a parse."""
        ...

    def list(self, start: int = 0, limit: int = 50) -> Page:
        """Summaries, newest first."""
        ...

    def search(self, query: str | Query, start: int = 0, limit: int = 50) -> Page:
        """Summaries matching `query` (see `mailtrap.message.search`), newest first.

        Raises `QueryError` for a query that cannot be parsed."""
        ...

    def neighbors(self, id: str) -> tuple[str | None, str | None]:
        """(the next newer id, the next older id) around message `id`; None at either end.

        Raises `MessageNotFound` for an unknown id."""
        ...

    def ids(self, query: str | Query = "") -> builtins.list[str]:
        """The ids of every message matching `query` (all messages for ""), newest first.

        Raises `QueryError` for a query that cannot be parsed."""
        ...

    def tags(self) -> dict[str, int]:
        """Each tag in use -> how many messages carry it. One entry per tag ignoring case,
        spelled as the oldest message spells it, in order ignoring case."""
        ...

    def set_tags(self, ids: Iterable[str], tags: Iterable[str]) -> int:
        """Replace the tags of these messages (normalized as `parsing.normalize_tags` does);
        returns how many of `ids` exist. Unknown ids are ignored."""
        ...

    def rename_tag(self, old: str, new: str) -> int:
        """Rename the tag `old` (cleaned and compared ignoring case) to `new` (cleaned as
        `parsing.clean_tag`) on every message carrying it; returns how many carry it. A new
        spelling of the same tag respells it. Raises `TagNotFound` when no message carries
        `old`, `TagExists` when another tag in use is named `new`, and ValueError when
        nothing of `new` is left once cleaned."""
        ...

    def delete_tag(self, tag: str) -> int:
        """Take the tag `tag` (cleaned and compared ignoring case) off every message carrying
        it; returns how many did. The messages stay. Raises `TagNotFound` when none does."""
        ...

    def storage_size(self) -> int:
        """Bytes the store occupies: the database files, or the raw messages held in memory."""
        ...

    def describe(self) -> StoreDescription:
        """What kind of store this is and where its mail is kept."""
        ...

    def count(self, *, unread: bool = False) -> int:
        """How many messages are stored (only unread ones with `unread=True`)."""
        ...

    def now(self) -> datetime:
        """The store's clock (aware, UTC): the `created` a message arriving now gets. Clients
        marking "from now on" (`after:`) ask for it, since a store shared by several processes
        keeps one clock whatever theirs say."""
        ...

    def mark_read(self, ids: Iterable[str], read: bool = True) -> int:
        """Set the read flag; returns how many of `ids` exist. Unknown ids are ignored."""
        ...

    def delete(self, ids: Iterable[str]) -> int:
        """Delete these messages; returns how many existed. Unknown ids are ignored."""
        ...

    def delete_all(self) -> int:
        """Delete every message; returns how many there were."""
        ...

    def subscribe(self, callback: Subscriber, *, summaries: Wanted = True) -> Callable[[], None]:
        """Call `callback` after every committed change; returns the unsubscribe function.

        `summaries` says whether `callback` reads the summary of new mail that another process
        sharing the store received (a callable is asked each time such mail arrives). While no
        subscriber wants them, such a store sends that mail's `new` events without a summary
        rather than load it for nobody. The mail this process stores always comes with its
        summary, and a store no other process writes to ignores the argument."""
        ...

    def close(self) -> None:
        """Finish pending writes and release resources. Idempotent."""
        ...
