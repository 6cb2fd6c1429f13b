"""The PostgreSQL store's writes other than arriving mail and tags: each runs on the writer
thread inside a batch's transaction and returns (result, events)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mailtrap.storage.base import StoreEvent
from mailtrap.storage.postgres._writer import Conn, Outcome

__all__ = ["COUNTS", "delete", "delete_all", "mark_read", "one", "pair", "prune"]

COUNTS = "SELECT coalesce(sum(total), 0)::bigint, coalesce(sum(unread), 0)::bigint FROM counters"
COUNTS_TOTAL = "SELECT coalesce(sum(total), 0)::bigint FROM counters"


def one(conn: Conn, query: str, params: Sequence[Any] = ()) -> int:
    """The integer `query` selects."""
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


def pair(conn: Conn, query: str, params: Sequence[Any] = ()) -> tuple[int, int]:
    """The two integers `query` selects."""
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def prune(conn: Conn, *, limit: int, lock: int, most: int | None = None) -> list[StoreEvent]:
    """Delete the oldest messages beyond `limit` (at most `most` of them), holding the advisory
    lock `lock` to COMMIT: another instance's prune waits, then counts what this one left, so
    that two writers never both delete for the same excess."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
    # A statement of its own after the lock's: its snapshot, taken once the lock is held,
    # sees what the other instance's prune committed. Counting in it saves a round trip.
    rows = conn.execute(
        "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages ORDER BY seq"
        f" LIMIT least(%s, greatest(0, ({COUNTS_TOTAL}) - %s))) RETURNING seq, id",
        (most, limit),
    ).fetchall()
    pruned = tuple(id for _, id in sorted(rows))
    return [StoreEvent("delete", pruned, pruned=True)] if rows else []


def mark_read(conn: Conn, *, ids: list[str], read: bool) -> Outcome:
    found = one(conn, "SELECT count(*) FROM messages WHERE id = ANY(%s)", (ids,))
    rows = conn.execute(
        "UPDATE messages SET read = %s WHERE id = ANY(%s) AND read <> %s RETURNING seq, id",
        (read, ids, read),
    ).fetchall()
    changed = tuple(id for _, id in sorted(rows))
    return found, [StoreEvent("update", changed, read=read)] if changed else []


def delete(conn: Conn, *, ids: list[str]) -> Outcome:
    rows = conn.execute("DELETE FROM messages WHERE id = ANY(%s) RETURNING id", (ids,)).fetchall()
    gone = {id for (id,) in rows}
    deleted = tuple(id for id in ids if id in gone)
    return len(deleted), [StoreEvent("delete", deleted)] if deleted else []


def delete_all(conn: Conn) -> Outcome:
    count = one(conn, COUNTS)
    # Row by row, deleting a big inbox would take seconds; TRUNCATE takes a moment (and waits
    # for other instances' writes in progress: it locks the tables).
    conn.execute("TRUNCATE messages, raw, search, tags, counters")
    return count, [StoreEvent("delete", all=True, count=count)]
