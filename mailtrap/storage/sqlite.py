"""A store in one SQLite file: the default for `mailtrap serve`, so mail survives a restart.

- WAL mode: readers never block the writer or each other.
- One writer thread commits in batches (see `_writer`): arriving mail (`_inserts`), the other
  writes (`_sqlwrites`, `_sqltags`) and retention. Another copies the WAL into the database
  (see `_checkpoint`); each reading thread has its own read-only connection (`_sqlconnections`).
- `synchronous=NORMAL`: a committed message survives the process being killed; only an OS
  crash or power loss can lose the last commits. A development tool should not pay an fsync per
  message for more than that.
"""

from __future__ import annotations

import builtins
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from mailtrap.errors import MessageNotFound
from mailtrap.message.models import Envelope, Message, MessageSummary
from mailtrap.message.parsing import normalize_tags, parse_message
from mailtrap.message.search import Query, parse_query
from mailtrap.storage import _schema, _sqltags, _sqlwrites
from mailtrap.storage._checkpoint import WAL_LIMIT_PAGES, Checkpointer
from mailtrap.storage._common import Subscribers, check_page
from mailtrap.storage._inserts import Pending
from mailtrap.storage._lock import lock
from mailtrap.storage._sqlcommon import neighbors
from mailtrap.storage._sqlconnections import Readers, connect, open_error
from mailtrap.storage._sqlsearch import DIALECT, compile_query, search_counts
from mailtrap.storage._tags import new_name, tag_key
from mailtrap.storage._writer import Operation, Writer
from mailtrap.storage.base import (
    DEFAULT_MAX_MESSAGES,
    Page,
    StoreDescription,
    StoredMessage,
    StoreEvent,
    Subscriber,
    Wanted,
)
from mailtrap.storage.tagrules import TagRule

__all__ = ["SQLiteStore"]


class SQLiteStore:
    """A `MessageStore` in the SQLite database at `path` (created if missing); `tag_rules` tag
    arriving mail (`mailtrap.storage.tagrules`)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_messages: int = DEFAULT_MAX_MESSAGES,
        tag_rules: Sequence[TagRule] = (),
    ):
        if max_messages < 0:
            raise ValueError(f"max_messages must be 0 (unlimited) or more, got {max_messages}")
        self.path = Path(path)
        self.max_messages = max_messages
        self.tag_rules = tuple(tag_rules)
        self._subscribers = Subscribers()
        self._readers = Readers(self.path)
        self._closed = False
        self._lock_file = lock(self.path)
        conn = connect(self.path, readonly=False)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            _schema.migrate(conn, str(self.path))
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_LIMIT_PAGES}")
            checkpoints = connect(self.path, readonly=False)
        except sqlite3.DatabaseError as exc:
            conn.close()
            self._release()
            raise open_error(self.path, exc) from exc
        except BaseException:
            conn.close()
            self._release()
            raise
        self._checkpointer = Checkpointer(
            checkpoints, name=f"mailtrap-sqlite-checkpoint:{self.path.name}"
        )
        self._writer = Writer(
            conn,
            name=f"mailtrap-sqlite-writer:{self.path.name}",
            before_commit=self._prune,
            emit=self._subscribers.emit,
            after_commit=self._checkpointer.nudge,
        )

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r}, max_messages={self.max_messages})"

    # -- writes ----------------------------------------------------------------------------

    def submit(self, raw: bytes, envelope: Envelope) -> Future[MessageSummary]:
        # The writer thread parses the message just before inserting it: the caller is often
        # the SMTP event loop, which must never wait on a parse, and a parse thread of its own
        # would add a hand-over (and a wait for the GIL) to every message.
        return self._writer.submit(Pending.operation(bytes(raw), envelope, self.tag_rules))

    def add(self, raw: bytes, envelope: Envelope) -> MessageSummary:
        return self.submit(raw, envelope).result()

    def _prune(self, conn: sqlite3.Connection) -> list[StoreEvent]:
        return _sqlwrites.prune(conn, self.max_messages)

    def _write(self, apply: Callable[[sqlite3.Connection], tuple[Any, list[StoreEvent]]]) -> Any:
        return self._writer.submit(Operation(apply)).result()

    def mark_read(self, ids: Iterable[str], read: bool = True) -> int:
        wanted = list(dict.fromkeys(ids))
        return int(self._write(partial(_sqlwrites.mark_read, ids=wanted, read=read)))

    def delete(self, ids: Iterable[str]) -> int:
        wanted = list(dict.fromkeys(ids))
        return int(self._write(partial(_sqlwrites.delete, ids=wanted)))

    def delete_all(self) -> int:
        return int(self._write(_sqlwrites.delete_all))

    # -- reads -----------------------------------------------------------------------------

    def get(self, id: str) -> Message:
        found = self.stored(id)
        return parse_message(found.raw, found.summary, found.envelope)

    def stored(self, id: str) -> StoredMessage:
        row = (
            self._readers.get()
            .execute(
                f"SELECT {_schema.SUMMARY_COLUMNS}, envelope, raw.data "
                "FROM messages JOIN raw USING (seq) WHERE id = ?",
                (id,),
            )
            .fetchone()
        )
        if row is None:
            raise MessageNotFound(id)
        summary = _schema.summary_from_row(row)
        return StoredMessage(summary, _schema.load_envelope(row[13]), bytes(row[14]))

    def get_raw(self, id: str) -> bytes:
        row = (
            self._readers.get()
            .execute("SELECT raw.data FROM messages JOIN raw USING (seq) WHERE id = ?", (id,))
            .fetchone()
        )
        if row is None:
            raise MessageNotFound(id)
        return bytes(row[0])

    def list(self, start: int = 0, limit: int = 50) -> Page:
        check_page(start, limit)
        conn = self._readers.get()
        conn.execute("BEGIN")  # one snapshot for the page and its counts
        try:
            rows = conn.execute(
                f"SELECT {_schema.SUMMARY_COLUMNS} FROM messages "
                "ORDER BY seq DESC LIMIT ? OFFSET ?",
                (limit, start),
            ).fetchall()
            total, unread = conn.execute("SELECT total, unread FROM counters").fetchone()
        finally:
            conn.execute("COMMIT")
        return Page(tuple(map(_schema.summary_from_row, rows)), total, unread, start)

    def search(self, query: str | Query, start: int = 0, limit: int = 50) -> Page:
        check_page(start, limit)
        parsed = parse_query(query) if isinstance(query, str) else query
        conn = self._readers.get()
        conn.execute("BEGIN")  # one snapshot for the index vocabulary, the page and its counts
        try:
            q = compile_query(parsed, conn)
            rows = conn.execute(
                f"SELECT {_schema.QUALIFIED_COLUMNS} FROM {q.source} WHERE {q.where} "
                f"ORDER BY {q.order} LIMIT ? OFFSET ?",
                (*q.params, limit, start),
            ).fetchall()
            total, unread = search_counts(conn, q)
        finally:
            conn.execute("COMMIT")
        return Page(tuple(map(_schema.summary_from_row, rows)), total, unread, start)

    def neighbors(self, id: str) -> tuple[str | None, str | None]:
        return neighbors(self._readers.get(), id, DIALECT)

    def ids(self, query: str | Query = "") -> builtins.list[str]:
        parsed = parse_query(query) if isinstance(query, str) else query
        conn = self._readers.get()
        conn.execute("BEGIN")
        try:
            q = compile_query(parsed, conn)
            rows = conn.execute(
                f"SELECT m.id FROM {q.source} WHERE {q.where} ORDER BY {q.order}", q.params
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        return [r[0] for r in rows]

    def tags(self) -> dict[str, int]:
        # With min(), SQLite takes the bare `tag` from the row holding the minimum: the oldest.
        rows = (
            self._readers.get()
            .execute("SELECT tag, min(seq), count(*) FROM tags GROUP BY key")
            .fetchall()
        )
        return {tag: n for tag, _, n in sorted(rows, key=lambda r: r[0].casefold())}

    def set_tags(self, ids: Iterable[str], tags: Iterable[str]) -> int:
        wanted, new = list(dict.fromkeys(ids)), normalize_tags(tags)
        return int(self._write(partial(_sqltags.set_tags, ids=wanted, tags=new)))

    def rename_tag(self, old: str, new: str) -> int:
        return int(
            self._write(partial(_sqltags.rename_tag, key=tag_key(old), old=old, name=new_name(new)))
        )

    def delete_tag(self, tag: str) -> int:
        return int(self._write(partial(_sqltags.delete_tag, key=tag_key(tag), tag=tag)))

    def now(self) -> datetime:
        return datetime.now(UTC)

    def describe(self) -> StoreDescription:
        return StoreDescription("SQLite", self.path)

    def storage_size(self) -> int:
        return sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )

    def count(self, *, unread: bool = False) -> int:
        column = "unread" if unread else "total"
        return int(self._readers.get().execute(f"SELECT {column} FROM counters").fetchone()[0])

    def subscribe(self, callback: Subscriber, *, summaries: Wanted = True) -> Callable[[], None]:
        return self._subscribers.add(callback, summaries)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._readers.refuse()
        self._writer.stop()
        self._readers.close()
        self._checkpointer.close()
        self._writer.close()  # last, so SQLite checkpoints and removes the WAL
        self._release()

    def _release(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # closing the descriptor drops the lock
            self._lock_file = None
