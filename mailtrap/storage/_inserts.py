"""Turning a received message into rows, and inserting a burst of them at once.

Rows are built on the caller's thread (`_Pending.build`); the writer thread inserts a run of
them with one executemany per table (`insert_many`), or one by one (`_Pending.apply`).
"""

from __future__ import annotations

import sqlite3
import time
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


_INSERT_MESSAGE = (
    f"INSERT INTO messages ({_schema.SUMMARY_COLUMNS}, envelope) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_INSERT_FTS = (
    "INSERT INTO fts (rowid, subject, sender, rcpt_to, cc, bcc, message_id, tags, body) "
    "VALUES (?,?,?,?,?,?,?,?,?)"
)
_FTS_COLUMNS = ("subject", "from", "to", "cc", "bcc", "message_id", "tags", "body")


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
        seq = conn.execute(_INSERT_MESSAGE, self.message).lastrowid
        self._dependents(conn, [(seq, self)])
        return self.outcome()

    @staticmethod
    def _dependents(conn: sqlite3.Connection, rows: list[tuple[Any, Pending]]) -> None:
        conn.executemany("INSERT INTO raw (seq, data) VALUES (?, ?)", [(s, p.raw) for s, p in rows])
        conn.executemany(
            "INSERT OR IGNORE INTO tags (seq, key, tag) VALUES (?, ?, ?)",
            [(s, key, tag) for s, p in rows for key, tag in p.tags],
        )
        conn.executemany(_INSERT_FTS, [(s, *p.fts) for s, p in rows])


def insert_many(
    conn: sqlite3.Connection, ops: list[Operation]
) -> list[tuple[MessageSummary, list[StoreEvent]]]:
    pending: list[Pending] = [op.data for op in ops]
    conn.executemany(_INSERT_MESSAGE, [p.message for p in pending])
    # One writer, one transaction: SQLite gave the rows consecutive rowids ending here.
    last = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
    first = last - len(pending) + 1
    Pending._dependents(conn, list(zip(range(first, last + 1), pending, strict=True)))
    return [p.outcome() for p in pending]
