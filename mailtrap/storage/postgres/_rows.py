"""Rows of the PostgreSQL store <-> model objects, and the insert of arriving mail.

A summary is stored as the SQLite store stores it (`storage._schema.message_row`), its text
fields packed into one JSON column, and read back through the same `summary_from_row`: both
stores hand out the same summary for the same mail. An arriving message is parsed on the
writer thread (`prepare`), then inserted with one statement that fills `messages`, `raw`,
`search` and `tags` and returns the database's `created`; a burst of them is one pipelined
`executemany`, a single round trip.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Any

from mailtrap.message.models import Envelope, MessageSummary
from mailtrap.message.parsing import Digest, summarize
from mailtrap.message.searchtext import COLUMNS, indexed_text
from mailtrap.storage import _schema
from mailtrap.storage.base import StoreEvent, new_id
from mailtrap.storage.postgres._writer import Conn, Operation, Outcome
from mailtrap.storage.tagrules import TagRule, apply_rules

__all__ = ["SUMMARY_COLUMNS", "insert_operation", "summary_from"]

SUMMARY_COLUMNS = "m.id, m.created, m.size, m.read, m.summary, m.tags"
_SEARCH_COLUMNS = ", ".join(c.name for c in COLUMNS)

_INSERT = f"""
WITH m AS (
    INSERT INTO messages
        (id, size, attachment_count, inline_count, login, summary, tags, envelope)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
    RETURNING seq, created
), r AS (
    INSERT INTO raw (seq, data) SELECT seq, %b FROM m
), s AS (
    INSERT INTO search (seq, {_SEARCH_COLUMNS})
    SELECT seq, {", ".join(["%s"] * len(COLUMNS))} FROM m
), t AS (
    INSERT INTO tags (seq, key, tag)
    SELECT m.seq, u.key, u.tag FROM m, unnest(%s::text[], %s::text[]) AS u(key, tag)
)
SELECT created FROM m
"""


def summary_from(row: tuple[Any, ...]) -> MessageSummary:
    """A summary from the first columns of a row selected with `SUMMARY_COLUMNS`."""
    id, created, size, read, packed, tags = row[:6]
    message_id, subject, addresses, return_path, date, attachments, snippet, username = json.loads(
        packed
    )
    return _schema.summary_from_row(
        (
            id,
            created,
            size,
            read,
            message_id,
            subject,
            addresses,
            return_path,
            date,
            attachments,
            snippet,
            tags,
            username,
        )
    )


@dataclass(frozen=True, slots=True)
class _Arriving:
    """One parsed message, as the insert takes it."""

    id: str
    size: int
    packed: str
    tags: str
    params: tuple[Any, ...]

    def summary(self, created: float) -> MessageSummary:
        return summary_from((self.id, created, self.size, False, self.packed, self.tags))


def _arriving(digest: Digest, raw: bytes, envelope: Envelope) -> _Arriving:
    id = new_id()
    row = _schema.message_row(digest, id=id, created=0.0, size=len(raw))
    # message_id, subject, addresses, return_path, date, attachment_count, snippet, username
    packed = _schema.dump([*row[4:11], row[12]])
    tags = row[11]
    login = (digest.username or "").casefold().replace("\0", "")
    keys = [t.casefold() for t in digest.tags]
    params = (
        id,
        len(raw),
        digest.attachment_count,
        digest.inline_count,
        login,
        packed,
        tags,
        _schema.envelope_json(envelope),
        raw,
        *indexed_text(digest),
        keys,
        list(digest.tags),
    )
    return _Arriving(id, len(raw), packed, tags, params)


def _outcome(arriving: _Arriving, created: float) -> Outcome:
    summary = arriving.summary(created)
    return summary, [StoreEvent("new", (summary.id,), summary=summary)]


def _parse(raw: bytes, envelope: Envelope, rules: tuple[TagRule, ...], op: Operation) -> None:
    op.data = _arriving(apply_rules(rules, summarize(raw, envelope), raw), raw, envelope)


def _insert_one(op: Operation, conn: Conn) -> Outcome:
    arriving: _Arriving = op.data
    row = conn.execute(_INSERT, arriving.params).fetchone()
    assert row is not None
    return _outcome(arriving, row[0])


def _insert_many(conn: Conn, ops: list[Operation]) -> list[Outcome]:
    arriving: list[_Arriving] = [op.data for op in ops]
    with conn.cursor() as cur:
        cur.executemany(_INSERT, [a.params for a in arriving], returning=True)
        created = []
        while True:
            row = cur.fetchone()
            assert row is not None
            created.append(row[0])
            if not cur.nextset():
                break
    return [_outcome(a, c) for a, c in zip(arriving, created, strict=True)]


def insert_operation(raw: bytes, envelope: Envelope, rules: tuple[TagRule, ...]) -> Operation:
    """The writer's operation for one arriving message: parsed (with the tag `rules`) on the
    writer thread, never on the caller's."""
    op = Operation(lambda conn: _insert_one(op, conn), apply_many=_insert_many)
    op.prepare = partial(_parse, raw, envelope, rules)
    return op
