"""A store in a PostgreSQL schema, which several mailtrap instances can share.

- One writer connection on one thread commits in batches (`_writer`), with PostgreSQL's
  default `synchronous_commit=on`: once `add` returns (and SMTP answers `250`), the mail
  survives the server being killed.
- Readers come from a small pool (psycopg_pool), each read in a REPEATABLE READ transaction,
  so a page and its counts come from one snapshot.
- Counts are kept by triggers, one row per writing instance, and summed on read; each start
  folds the other instances' rows into one (`_upkeep`).
- Retention prunes inside each batch under an advisory lock on the schema, so that two
  instances never both delete for the same excess; a sweeper thread prunes when other
  instances' writes left the schema over this instance's limit (`_upkeep`).
- `created` comes from the database clock.
- Every instance's subscribers hear of every instance's changes (`_notify`: NOTIFY with the
  commit, a LISTEN thread here), and of a `reset` when that thread had to reconnect.
"""

from __future__ import annotations

import builtins
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

import psycopg

from mailtrap.errors import MailtrapError, MessageNotFound, StoreClosed
from mailtrap.message.models import Envelope, Message, MessageSummary
from mailtrap.message.parsing import normalize_tags, parse_message
from mailtrap.message.search import Query, parse_query
from mailtrap.storage import _schema
from mailtrap.storage._common import Subscribers, check_page
from mailtrap.storage._sqlcommon import neighbors
from mailtrap.storage._tags import new_name, tag_key
from mailtrap.storage.base import (
    DEFAULT_MAX_MESSAGES,
    Page,
    StoreDescription,
    StoredMessage,
    StoreEvent,
    Subscriber,
    Wanted,
)
from mailtrap.storage.postgres import _tags, _writes
from mailtrap.storage.postgres._connections import CONNECT_TIMEOUT, Connections
from mailtrap.storage.postgres._migrate import lock_key, migrate
from mailtrap.storage.postgres._notify import Listener, announce, channel_name
from mailtrap.storage.postgres._rows import SUMMARY_COLUMNS, insert_operation, summary_from
from mailtrap.storage.postgres._search import DIALECT, compile_query, search_page
from mailtrap.storage.postgres._upkeep import PRUNE_MOST, SWEEP_SECONDS, Sweeper, fold_counters
from mailtrap.storage.postgres._writer import Conn, Operation, Outcome, Writer
from mailtrap.storage.postgres._writes import COUNTS, one, pair
from mailtrap.storage.postgres.url import DEFAULT_SCHEMA, check_schema, redact
from mailtrap.storage.tagrules import TagRule

__all__ = ["DEFAULT_SCHEMA", "PostgresStore"]


class PostgresStore:
    """A `MessageStore` in the schema `schema` (created if missing) of the PostgreSQL database
    at `url` (a libpq URI or key/value string). `readers` caps the pooled read connections;
    `instance` names this instance's row of counts (default: host, pid and a random tag);
    every `sweep_seconds` the count is checked against `max_messages` (see `_upkeep`)."""

    def __init__(
        self,
        url: str,
        *,
        schema: str = DEFAULT_SCHEMA,
        max_messages: int = DEFAULT_MAX_MESSAGES,
        tag_rules: Sequence[TagRule] = (),
        readers: int = 8,
        instance: str | None = None,
        sweep_seconds: float = SWEEP_SECONDS,
    ) -> None:
        if max_messages < 0:
            raise ValueError(f"max_messages must be 0 (unlimited) or more, got {max_messages}")
        if sweep_seconds <= 0:
            raise ValueError(f"sweep_seconds must be above 0, got {sweep_seconds}")
        self.url = url
        self.schema = check_schema(schema)
        self.max_messages = max_messages
        self.tag_rules = tuple(tag_rules)
        self.instance = instance or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._where = redact(url)
        self._subscribers = Subscribers()
        self._closed = False
        self._close_lock = threading.Lock()
        try:
            with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT) as conn:
                migrate(conn, schema, self._where)
                self._prune_key = lock_key(conn, schema, "prune")
                fold_counters(conn, schema, keep=self.instance)
        except psycopg.Error as exc:
            raise MailtrapError(
                f"cannot use the PostgreSQL database at {self._where} ({exc}); check "
                "--database-url, and that the server runs and lets this user create a schema"
            ) from None
        self._conns = Connections(
            url, schema=schema, instance=self.instance, where=self._where, readers=readers
        )
        channel = channel_name(schema)
        self._writer = Writer(
            self._conns.writer,
            name=f"mailtrap-pg-writer:{schema}",
            where=self._where,
            before_commit=self._prune,
            emit=self._subscribers.emit,
            announce=partial(announce, channel=channel, instance=self.instance),
        )
        self._listener = Listener(
            self._conns.listener,
            channel=channel,
            instance=self.instance,
            load=self._summaries,
            wanted=self._subscribers.want_summaries,
            emit=self._subscribers.emit,
            name=f"mailtrap-pg-listener:{schema}",
        )
        self._sweeper = Sweeper(
            self._writer.submit, self.count, limit=max_messages, every=sweep_seconds, schema=schema
        )

    def __repr__(self) -> str:
        return (
            f"PostgresStore({self._where!r}, schema={self.schema!r}, "
            f"max_messages={self.max_messages})"
        )

    @contextmanager
    def _read(self) -> Iterator[Conn]:
        """A pooled connection in a read-only snapshot (StoreUnavailable if there is none)."""
        if self._closed:
            raise StoreClosed("this PostgresStore is closed; open a new one")
        with self._conns.read() as conn:
            yield conn

    # -- writes ----------------------------------------------------------------------------

    def submit(self, raw: bytes, envelope: Envelope) -> Future[MessageSummary]:
        return self._writer.submit(insert_operation(bytes(raw), envelope, self.tag_rules))

    def add(self, raw: bytes, envelope: Envelope) -> MessageSummary:
        return self.submit(raw, envelope).result()

    def _prune(self, conn: Conn) -> list[StoreEvent]:
        if not self.max_messages:
            return []
        return _writes.prune(conn, limit=self.max_messages, lock=self._prune_key, most=PRUNE_MOST)

    def _write(self, apply: Callable[[Conn], Outcome]) -> Any:
        return self._writer.submit(Operation(apply)).result()

    def mark_read(self, ids: Iterable[str], read: bool = True) -> int:
        wanted = list(dict.fromkeys(ids))
        return int(self._write(partial(_writes.mark_read, ids=wanted, read=read)))

    def delete(self, ids: Iterable[str]) -> int:
        return int(self._write(partial(_writes.delete, ids=list(dict.fromkeys(ids)))))

    def delete_all(self) -> int:
        return int(self._write(_writes.delete_all))

    def set_tags(self, ids: Iterable[str], tags: Iterable[str]) -> int:
        wanted, new = list(dict.fromkeys(ids)), normalize_tags(tags)
        return int(self._write(partial(_tags.set_tags, ids=wanted, tags=new)))

    def rename_tag(self, old: str, new: str) -> int:
        return int(
            self._write(partial(_tags.rename_tag, key=tag_key(old), old=old, name=new_name(new)))
        )

    def delete_tag(self, tag: str) -> int:
        return int(self._write(partial(_tags.delete_tag, key=tag_key(tag), tag=tag)))

    # -- reads -----------------------------------------------------------------------------

    def get(self, id: str) -> Message:
        found = self.stored(id)
        return parse_message(found.raw, found.summary, found.envelope)

    def stored(self, id: str) -> StoredMessage:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {SUMMARY_COLUMNS}, m.envelope, r.data "
                "FROM messages m JOIN raw r ON r.seq = m.seq WHERE m.id = %s",
                (id,),
                binary=True,
            ).fetchone()
        if row is None:
            raise MessageNotFound(id)
        return StoredMessage(summary_from(row), _schema.load_envelope(row[6]), bytes(row[7]))

    def get_raw(self, id: str) -> bytes:
        with self._read() as conn:
            row = conn.execute(
                "SELECT r.data FROM messages m JOIN raw r ON r.seq = m.seq WHERE m.id = %s",
                (id,),
                binary=True,
            ).fetchone()
        if row is None:
            raise MessageNotFound(id)
        return bytes(row[0])

    def list(self, start: int = 0, limit: int = 50) -> Page:
        check_page(start, limit)
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {SUMMARY_COLUMNS} FROM messages m ORDER BY m.seq DESC LIMIT %s OFFSET %s",
                (limit, start),
            ).fetchall()
            total, unread = pair(conn, COUNTS)
        return Page(tuple(map(summary_from, rows)), total, unread, start)

    def search(self, query: str | Query, start: int = 0, limit: int = 50) -> Page:
        check_page(start, limit)
        q = compile_query(parse_query(query) if isinstance(query, str) else query)
        with self._read() as conn:
            return search_page(conn, q, start, limit)

    def _summaries(self, ids: builtins.list[str]) -> builtins.list[MessageSummary]:
        """The summaries of those of `ids` still stored, in arrival order."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {SUMMARY_COLUMNS} FROM messages m WHERE m.id = ANY(%s) ORDER BY m.seq",
                (ids,),
            ).fetchall()
        return [summary_from(row) for row in rows]

    def neighbors(self, id: str) -> tuple[str | None, str | None]:
        with self._read() as conn:
            return neighbors(conn, id, DIALECT)

    def ids(self, query: str | Query = "") -> builtins.list[str]:
        q = compile_query(parse_query(query) if isinstance(query, str) else query)
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT m.id FROM {q.source} WHERE {q.where} ORDER BY m.seq DESC", q.params
            ).fetchall()
        return [r[0] for r in rows]

    def tags(self) -> dict[str, int]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT (array_agg(tag ORDER BY seq))[1], count(*) FROM tags GROUP BY key"
            ).fetchall()
        return {tag: n for tag, n in sorted(rows, key=lambda r: str(r[0]).casefold())}

    def now(self) -> datetime:
        with self._read() as conn:
            row = conn.execute("SELECT clock_timestamp()").fetchone()
        assert row is not None
        return row[0].astimezone(UTC)  # type: ignore[no-any-return]

    def describe(self) -> StoreDescription:
        return StoreDescription(
            "PostgreSQL", location=f"{self._where} (schema {self.schema})", instance=self.instance
        )

    def storage_size(self) -> int:
        with self._read() as conn:
            return one(
                conn,
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relkind = 'r'",
                (self.schema,),
            )

    def count(self, *, unread: bool = False) -> int:
        with self._read() as conn:
            total, unread_count = pair(conn, COUNTS)
        return unread_count if unread else total

    def subscribe(self, callback: Subscriber, *, summaries: Wanted = True) -> Callable[[], None]:
        return self._subscribers.add(callback, summaries)

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._sweeper.close()
        self._writer.close()
        self._listener.close()
        self._conns.close()
