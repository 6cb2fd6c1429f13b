"""Turning a received message into rows, and inserting a burst of them at once.

Rows are built on the writer thread, just before it inserts them (`Pending.operation`, whose
`prepare` parses the message). It inserts a run of them through the `incoming` view, one
multi-row INSERT per CHUNK (`insert_many`), or one by one (`Pending.apply`). The view's
trigger puts each row's parts in `messages`, `raw` and `fts`.

Why one statement per burst rather than executemany, or one INSERT per table: the sqlite3
module lets go of the GIL around every statement it steps, and must win it back from the busy
SMTP event loop each time. A burst of untagged mail is a single statement, atomic by itself, so
the writer runs it without a BEGIN or COMMIT of its own (see `Operation.statement_rows`).
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from mailtrap.message.models import Envelope, MessageSummary
from mailtrap.message.parsing import summarize
from mailtrap.message.searchtext import indexed_text
from mailtrap.storage import _schema
from mailtrap.storage._batches import unprepared
from mailtrap.storage._writer import Operation
from mailtrap.storage.base import StoreEvent, new_id
from mailtrap.storage.tagrules import TagRule, apply_rules

__all__ = ["Pending", "insert_many"]


# At most this many rows per statement: bursts vary in size, and every size is a statement of
# its own in the connection's statement cache (see `_sqlconnections.connect`).
CHUNK = 32

_INCOMING = "INSERT INTO incoming"
_TAGS = "INSERT OR IGNORE INTO tags (seq, key, tag) SELECT seq, ?, ? FROM messages WHERE id = ?"


@functools.cache
def _statement(width: int, count: int) -> str:
    """An INSERT into `incoming` of `count` rows of `width` placeholders."""
    row = "(" + ",".join("?" * width) + ")"
    return f"{_INCOMING} VALUES {','.join([row] * count)}"


def _insert(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert `rows` into the `incoming` view with one statement per CHUNK of them."""
    for at in range(0, len(rows), CHUNK):
        chunk = rows[at : at + CHUNK]
        conn.execute(_statement(len(chunk[0]), len(chunk)), [v for row in chunk for v in row])


@dataclass(frozen=True, slots=True)
class Pending:
    """One message, parsed and turned into rows, waiting for the writer to assign its seq."""

    summary: MessageSummary
    row: tuple[Any, ...]  # the `incoming` view's columns, in order
    tags: tuple[tuple[str, str], ...]  # (casefolded key, tag as shown)

    @classmethod
    def build(cls, raw: bytes, envelope: Envelope, rules: Iterable[TagRule] = ()) -> Pending:
        digest = apply_rules(rules, summarize(raw, envelope), raw)
        created, id = time.time(), new_id()
        row = _schema.message_row(digest, id=id, created=created, size=len(raw))
        when = datetime.fromtimestamp(created, UTC)  # as the row reads back
        return cls(
            summary=digest.to_summary(id=id, created=when, size=len(raw)),
            row=(
                *row,
                _schema.envelope_json(envelope),
                raw,
                digest.inline_count,
                *indexed_text(digest),
            ),
            tags=tuple((t.casefold(), t) for t in digest.tags),
        )

    @staticmethod
    def operation(raw: bytes, envelope: Envelope, rules: tuple[TagRule, ...] = ()) -> Operation:
        """The writer's operation for one arriving message. The writer thread parses it and
        applies the tag `rules` (`prepare`), so the caller, often the SMTP event loop, never
        does. Untagged, it is a row of one statement."""
        prepare = partial(_parse, raw, envelope, rules)
        return Operation(unprepared, apply_many=insert_many, prepare=prepare)

    def outcome(self) -> tuple[MessageSummary, list[StoreEvent]]:
        return self.summary, [StoreEvent("new", (self.summary.id,), summary=self.summary)]

    def apply(self, conn: sqlite3.Connection) -> tuple[MessageSummary, list[StoreEvent]]:
        _insert(conn, [self.row])
        _insert_tags(conn, [self])
        return self.outcome()


def _parse(raw: bytes, envelope: Envelope, rules: tuple[TagRule, ...], op: Operation) -> None:
    pending = op.data = Pending.build(raw, envelope, rules)
    op.apply = pending.apply
    op.statement_rows = 0 if pending.tags else CHUNK


def _insert_tags(conn: sqlite3.Connection, pending: list[Pending]) -> None:
    if rows := [(key, tag, p.summary.id) for p in pending for key, tag in p.tags]:
        conn.executemany(_TAGS, rows)


def insert_many(
    conn: sqlite3.Connection, ops: list[Operation]
) -> list[tuple[MessageSummary, list[StoreEvent]]]:
    pending: list[Pending] = [op.data for op in ops]
    _insert(conn, [p.row for p in pending])
    _insert_tags(conn, pending)
    return [p.outcome() for p in pending]
