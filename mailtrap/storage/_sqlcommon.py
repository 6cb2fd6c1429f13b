"""What the SQLite and PostgreSQL stores do alike in SQL, written once for both.

Both stores keep the same tables where these run (`messages m` with `seq`, `id`, `tags` (a JSON
list), `read`, `created`, `size` and the attachment counts; `tags` with `seq`, `key`, `tag`), so
only the dialect differs: each store names its own `Dialect` and keeps apart only what really
differs (free-text search on each one's own index, the writes that keep a message's tags equal
everywhere they are kept). The functions take the store's connection, which both drivers
serve through `execute` (`Executes`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from mailtrap.errors import MessageNotFound, TagExists, TagNotFound
from mailtrap.message.search import Term
from mailtrap.storage._tags import renamed, tag_events, without
from mailtrap.storage.base import StoreEvent

__all__ = [
    "Dialect",
    "Executes",
    "delete_tag",
    "field_condition",
    "neighbors",
    "rename_tag",
]


@dataclass(frozen=True, slots=True)
class Dialect:
    """What one database's SQL says its own way in the statements here."""

    # The placeholder of a statement parameter: "?" (sqlite3) or "%s" (psycopg).
    p: str
    # The condition that message `m`'s SMTP login is the parameter (a `login:` term).
    login: str
    # Appended to a SELECT of the messages a write goes on to change, to lock their rows
    # against a concurrent writer; "" where the write transaction already excludes every other.
    lock_rows: str = ""


class _Rows(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Executes(Protocol):
    """A connection of either driver: `sqlite3.Connection` or a psycopg `Connection`."""

    def execute(self, query: str, params: tuple[Any, ...], /) -> _Rows: ...


C = TypeVar("C", bound=Executes)
Outcome = tuple[int, list[StoreEvent]]  # what a write returns: its count, and its events


def field_condition(term: Term, d: Dialect) -> tuple[str, list[Any]]:
    """The WHERE condition on `messages m` of a term naming a field but no text (`tag:`,
    `is:`, `before:`...), with its parameters; the semantics are `storage._match`'s."""
    field, p = term.field, d.p
    if field == "login":
        return d.login, [term.value]
    if field == "tag":
        return f"EXISTS (SELECT 1 FROM tags t WHERE t.seq = m.seq AND t.key = {p})", [term.value]
    if field == "is":
        if term.value == "tagged":
            return "m.tags <> '[]'", []  # the JSON list of its tags
        # A bool: PostgreSQL's `read` is boolean; sqlite3 binds it as the 0 or 1 it stores.
        return f"m.read = {p}", [term.value == "read"]
    if field == "has":
        return f"m.{term.value}_count > 0", []  # attachment_count or inline_count
    if field in ("before", "after"):
        assert term.when is not None
        op = "<=" if field == "before" else ">="
        return f"m.created {op} {p}", [term.when.timestamp()]
    if field == "larger":
        return f"m.size > {p}", [term.size]
    if field == "smaller":
        return f"m.size < {p}", [term.size]
    raise AssertionError(f"unhandled search field {field!r}")  # parse_query rejects these


def neighbors(conn: Executes, id: str, d: Dialect) -> tuple[str | None, str | None]:
    """(the next newer id, the next older id) around message `id`, read on `conn` (in one
    snapshot where the caller holds one); `MessageNotFound` for an unknown id."""
    row = conn.execute(f"SELECT seq FROM messages WHERE id = {d.p}", (id,)).fetchone()
    if row is None:
        raise MessageNotFound(id)
    newer = conn.execute(
        f"SELECT id FROM messages WHERE seq > {d.p} ORDER BY seq LIMIT 1", row
    ).fetchone()
    older = conn.execute(
        f"SELECT id FROM messages WHERE seq < {d.p} ORDER BY seq DESC LIMIT 1", row
    ).fetchone()
    return (newer[0] if newer else None), (older[0] if older else None)


# The store's own write of a message's tags (seq, its new tags) everywhere they are kept.
Write = Callable[[C, int, tuple[str, ...]], None]


def _carrying(conn: Executes, key: str, tag: str, d: Dialect) -> list[tuple[int, str, list[str]]]:
    """(seq, id, tags) of each message carrying the tag `key`, oldest first, their rows
    locked (`Dialect.lock_rows`); TagNotFound if there is none."""
    rows = conn.execute(
        "SELECT m.seq, m.id, m.tags FROM tags t JOIN messages m ON m.seq = t.seq "
        f"WHERE t.key = {d.p} ORDER BY m.seq{d.lock_rows}",
        (key,),
    ).fetchall()
    if not rows:
        raise TagNotFound(tag)
    return [(seq, id, json.loads(tags)) for seq, id, tags in rows]


def rename_tag(conn: C, key: str, old: str, name: str, *, d: Dialect, write: Write[C]) -> Outcome:
    """Rename the tag `key` (asked for as `old`) to `name` on every message carrying it,
    inside the caller's write transaction."""
    found = _carrying(conn, key, old, d)
    new_key = name.casefold()
    if (
        new_key != key
        and conn.execute(f"SELECT 1 FROM tags WHERE key = {d.p}", (new_key,)).fetchone()
    ):
        raise TagExists(old, name)
    changes = {}
    for seq, id, tags in found:
        changes[id] = renamed(tags, key, name)
        write(conn, seq, changes[id])
    return len(found), tag_events(changes)


def delete_tag(conn: C, key: str, tag: str, *, d: Dialect, write: Write[C]) -> Outcome:
    """Take the tag `key` (asked for as `tag`) off every message carrying it, inside the
    caller's write transaction."""
    found = _carrying(conn, key, tag, d)
    changes = {}
    for seq, id, tags in found:
        changes[id] = without(tags, key)
        write(conn, seq, changes[id])
    return len(found), tag_events(changes)
