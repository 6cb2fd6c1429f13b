"""Rows of the PostgreSQL store <-> model objects, and the insert of arriving mail.

A summary is stored as the SQLite store stores it (`storage._schema.message_row`), its text
fields packed into one JSON column, and read back through the same `summary_from_row`: both
stores hand out the same summary for the same mail. An arriving message is parsed on the
writer's preparing thread (`prepare`). A burst of them is inserted by one statement that takes each
column as an array (sent in binary: the raw mail is not hex-encoded) and fills `messages`,
`raw`, `search` and `tags`, returning the database's `created` per id: one round trip, one
pass through the executor and one firing of the count trigger for the whole batch, where a
statement per message cost the server about as much again as the rows themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from mailtrap.message.models import Envelope, MessageSummary
from mailtrap.message.parsing import Digest, summarize
from mailtrap.message.searchtext import COLUMNS, indexed_text
from mailtrap.storage import _schema
from mailtrap.storage._batches import unprepared
from mailtrap.storage.base import StoreEvent, new_id
from mailtrap.storage.postgres._writer import Conn, Operation, Outcome
from mailtrap.storage.tagrules import TagRule, apply_rules

__all__ = ["SUMMARY_COLUMNS", "insert_operation", "summary_from"]

SUMMARY_COLUMNS = "m.id, m.created, m.size, m.read, m.summary, m.tags"
_SEARCH_COLUMNS = ", ".join(c.name for c in COLUMNS)
_FOLDED = ", ".join(f"folded_{c.name}" for c in COLUMNS)  # `tags` is in messages too

_MESSAGE_COLUMNS = "id, size, attachment_count, inline_count, login, summary, tags, envelope"
_TYPES = ("text", "int8", "int4", "int4", "text", "text", "text", "text", "bytea")
# One array per column: the messages in arrival order, then their tags flattened (the message's
# id beside each). `ORDER BY n` hands out `seq` in arrival order.
_INSERT = f"""
WITH d AS MATERIALIZED (
    SELECT * FROM unnest({", ".join(f"%b::{t}[]" for t in _TYPES + ("text",) * len(COLUMNS))})
        WITH ORDINALITY AS d({_MESSAGE_COLUMNS}, data, {_FOLDED}, n)
), m AS (
    INSERT INTO messages ({_MESSAGE_COLUMNS})
    SELECT {_MESSAGE_COLUMNS} FROM d ORDER BY n
    RETURNING seq, id, created
), r AS (
    INSERT INTO raw (seq, data) SELECT m.seq, d.data FROM m JOIN d USING (id)
), s AS (
    INSERT INTO search (seq, {_SEARCH_COLUMNS})
    SELECT m.seq, {_FOLDED} FROM m JOIN d USING (id)
), t AS (
    INSERT INTO tags (seq, key, tag)
    SELECT m.seq, u.key, u.tag FROM m
    JOIN unnest(%b::text[], %b::text[], %b::text[]) AS u(id, key, tag) USING (id)
)
SELECT id, created FROM m
"""


def summary_from(row: tuple[Any, ...]) -> MessageSummary:
    """A summary from the first columns of a row selected with `SUMMARY_COLUMNS`."""
    id, created, size, read, packed, tags = row[:6]
    fields = json.loads(packed)  # `message_row`'s columns 4 to 12 but the tags, 11 (`_arriving`)
    fields.insert(7, tags)  # faster per row than unpacking the JSON list around them
    return _schema.summary_from_row((id, created, size, read, *fields))


@dataclass(frozen=True, slots=True)
class _Arriving:
    """One parsed message, as the insert takes it."""

    id: str
    size: int
    digest: Digest
    row: tuple[Any, ...]  # the message's value of each array but the tags'
    tag_keys: list[str]
    tag_names: list[str]

    def summary(self, created: float) -> MessageSummary:
        # From the digest, as the SQLite store makes it: what `summary_from` reads back is the
        # same (the packed JSON keeps every character), without decoding that JSON again.
        when = datetime.fromtimestamp(created, UTC)
        return self.digest.to_summary(id=self.id, created=when, size=self.size)

    def insert(self, conn: Conn) -> Outcome:
        """Insert this message alone (the writer's careful path)."""
        [outcome] = _insert(conn, [self])()
        return outcome


def _arriving(digest: Digest, raw: bytes, envelope: Envelope) -> _Arriving:
    id = new_id()
    row = _schema.message_row(digest, id=id, created=0.0, size=len(raw))
    # message_id, subject, addresses, return_path, date, attachment_count, snippet, username
    packed = _schema.dump([*row[4:11], row[12]])
    login = (digest.username or "").casefold().replace("\0", "")
    keys = [t.casefold() for t in digest.tags]
    row = (
        id,
        len(raw),
        digest.attachment_count,
        digest.inline_count,
        login,
        packed,
        row[11],  # the tags, a JSON list
        _schema.envelope_json(envelope),
        raw,
        *indexed_text(digest),
    )
    return _Arriving(id, len(raw), digest, row, keys, list(digest.tags))


def _outcome(arriving: _Arriving, created: float) -> Outcome:
    summary = arriving.summary(created)
    return summary, [StoreEvent("new", (summary.id,), summary=summary)]


def _parse(raw: bytes, envelope: Envelope, rules: tuple[TagRule, ...], op: Operation) -> None:
    arriving = _arriving(apply_rules(rules, summarize(raw, envelope), raw), raw, envelope)
    op.data = arriving
    # A bound method of the data, not a closure over `op`: an operation that referred to itself
    # would be freed, with its mail, only by the cyclic garbage collector.
    op.apply = arriving.insert
    # What other instances hear is the id alone (they load the summary): known already.
    op.notice = [StoreEvent("new", (arriving.id,))]


def _insert_many(conn: Conn, ops: list[Operation]) -> Callable[[], list[Outcome]]:
    """Send the insert of `ops`' messages; what it returns reads their outcomes."""
    return _insert(conn, [op.data for op in ops])


def _insert(conn: Conn, arriving: list[_Arriving]) -> Callable[[], list[Outcome]]:
    columns = [list(column) for column in zip(*(a.row for a in arriving), strict=True)]
    tag_ids = [a.id for a in arriving for _ in a.tag_keys]
    keys = [k for a in arriving for k in a.tag_keys]
    names = [t for a in arriving for t in a.tag_names]
    cursor = conn.execute(_INSERT, (*columns, tag_ids, keys, names), binary=True)

    def outcomes() -> list[Outcome]:
        created: dict[str, float] = dict(cursor.fetchall())
        return [_outcome(a, created[a.id]) for a in arriving]

    return outcomes


def insert_operation(raw: bytes, envelope: Envelope, rules: tuple[TagRule, ...]) -> Operation:
    """The writer's operation for one arriving message: parsed (with the tag `rules`) on the
    writer's preparing thread, never on the caller's."""
    return Operation(
        unprepared, apply_many=_insert_many, prepare=partial(_parse, raw, envelope, rules)
    )
