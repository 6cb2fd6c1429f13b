"""Turning a received message into rows, and inserting a burst of them at once.

Rows are built on the caller's thread (`Pending.build`); the writer thread inserts a run of
them with multi-row INSERT statements (`insert_many`), or one by one (`Pending.apply`).

Why multi-row statements rather than executemany: the sqlite3 module lets go of the GIL around
every row it steps, and must win it back from the busy SMTP event loop each time. One statement
per table per burst turns 3 handovers per message into 3 per burst, and that, not SQLite
itself, was what bounded ingest speed.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from mailtrap.models import Envelope, MessageSummary
from mailtrap.parsing import summarize
from mailtrap.storage import _schema
from mailtrap.storage._common import search_columns
from mailtrap.storage._writer import Operation
from mailtrap.storage.base import StoreEvent, new_id

__all__ = ["Pending", "insert_many"]


# At most this many rows per statement: bursts vary in size, and every size is a statement of
# its own in the connection's statement cache (see SQLiteStore._connect).
CHUNK = 32

_MESSAGES = f"INSERT INTO messages ({_schema.SUMMARY_COLUMNS}, envelope)"
_RAW = "INSERT INTO raw (seq, data)"
_TAGS = "INSERT OR IGNORE INTO tags (seq, key, tag)"
_FTS = "INSERT INTO fts (rowid, subject, sender, rcpt_to, cc, bcc, message_id, tags, body)"
_FTS_COLUMNS = ("subject", "from", "to", "cc", "bcc", "message_id", "tags", "body")


@functools.cache
def _statement(head: str, width: int, count: int) -> str:
    """`head` followed by `count` rows of `width` placeholders."""
    row = "(" + ",".join("?" * width) + ")"
    return f"{head} VALUES {','.join([row] * count)}"


def _insert(conn: sqlite3.Connection, head: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert `rows` with one statement per CHUNK of them."""
    for at in range(0, len(rows), CHUNK):
        chunk = rows[at : at + CHUNK]
        conn.execute(_statement(head, len(chunk[0]), len(chunk)), [v for row in chunk for v in row])


@dataclass(frozen=True, slots=True)
class Pending:
    """One message, parsed and turned into rows, waiting for the writer to assign its seq."""

    summary: MessageSummary
    message: tuple[Any, ...]
    raw: bytes
    tags: tuple[tuple[str, str], ...]
    fts: tuple[str, ...]

    @classmethod
    def build(cls, raw: bytes, envelope: Envelope) -> Pending:
        digest = summarize(raw, envelope)
        created, id = time.time(), new_id()
        row = _schema.message_row(digest, id=id, created=created, size=len(raw))
        when = datetime.fromtimestamp(created, timezone.utc)  # as the row reads back
        text = search_columns(digest)
        return cls(
            summary=digest.to_summary(id=id, created=when, size=len(raw)),
            message=(*row, _schema.envelope_json(envelope)),
            raw=raw,
            tags=tuple((t.casefold(), t) for t in digest.tags),
            fts=tuple(text[c] for c in _FTS_COLUMNS),
        )

    def outcome(self) -> tuple[MessageSummary, list[StoreEvent]]:
        return self.summary, [StoreEvent("new", (self.summary.id,), summary=self.summary)]

    def apply(self, conn: sqlite3.Connection) -> tuple[MessageSummary, list[StoreEvent]]:
        seq = conn.execute(_statement(_MESSAGES, len(self.message), 1), self.message).lastrowid
        self._dependents(conn, [(seq, self)])
        return self.outcome()

    @staticmethod
    def _dependents(conn: sqlite3.Connection, rows: list[tuple[Any, Pending]]) -> None:
        _insert(conn, _RAW, [(s, p.raw) for s, p in rows])
        if tags := [(s, key, tag) for s, p in rows for key, tag in p.tags]:
            _insert(conn, _TAGS, tags)
        _insert(conn, _FTS, [(s, *p.fts) for s, p in rows])


def insert_many(
    conn: sqlite3.Connection, ops: list[Operation]
) -> list[tuple[MessageSummary, list[StoreEvent]]]:
    pending: list[Pending] = [op.data for op in ops]
    _insert(conn, _MESSAGES, [p.message for p in pending])
    # One writer, one transaction: SQLite gave the rows consecutive rowids ending here.
    last = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
    first = last - len(pending) + 1
    Pending._dependents(conn, list(zip(range(first, last + 1), pending, strict=True)))
    return [p.outcome() for p in pending]
