"""The SQLite store's writes other than arriving mail and tags: each runs on the writer thread
inside a batch's transaction (the one transaction that writes) and returns (result, events).
"""

from __future__ import annotations

import sqlite3

from mailtrap.storage._writer import Outcome
from mailtrap.storage.base import StoreEvent

__all__ = ["delete", "delete_all", "mark_read", "prune"]


def prune(conn: sqlite3.Connection, limit: int) -> list[StoreEvent]:
    """Delete the oldest messages beyond `limit` (0: no limit), and say so in one `pruned`
    event; run before each batch commits, so the store never stays over its limit."""
    if not limit:
        return []
    total = conn.execute("SELECT total FROM counters").fetchone()[0]
    excess = total - limit
    if excess <= 0:
        return []
    rows = conn.execute("SELECT seq, id FROM messages ORDER BY seq LIMIT ?", (excess,)).fetchall()
    conn.execute("DELETE FROM messages WHERE seq <= ?", (rows[-1][0],))
    return [StoreEvent("delete", tuple(id for _, id in rows), pruned=True)]


def mark_read(conn: sqlite3.Connection, *, ids: list[str], read: bool) -> Outcome:
    """Mark the messages `ids` (no duplicates) read or unread: how many of them exist, and one
    event naming those that changed, oldest first."""
    # Set-based, through a temporary table of the ids: a SELECT and an UPDATE per id
    # grew worse than linearly (16,000 ids took 1.1 s; 100,000 did not end in minutes).
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (id TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM temp.wanted")
    conn.executemany("INSERT INTO temp.wanted VALUES (?)", ((id,) for id in ids))
    found = conn.execute(
        "SELECT count(*) FROM messages WHERE id IN (SELECT id FROM temp.wanted)"
    ).fetchone()[0]
    changed = [
        id
        for (id,) in conn.execute(
            "SELECT id FROM messages WHERE read != ? AND id IN (SELECT id FROM temp.wanted)"
            " ORDER BY seq",
            (int(read),),
        )
    ]
    conn.execute(
        "UPDATE messages SET read = ? WHERE read != ? AND id IN (SELECT id FROM temp.wanted)",
        (int(read), int(read)),
    )
    conn.execute("DELETE FROM temp.wanted")
    events = [StoreEvent("update", tuple(changed), read=read)] if changed else []
    return found, events


def delete(conn: sqlite3.Connection, *, ids: list[str]) -> Outcome:
    """Delete the messages `ids` (no duplicates): how many existed, and one event naming them
    in the order asked."""
    deleted = [
        id for id in ids if conn.execute("DELETE FROM messages WHERE id = ?", (id,)).rowcount
    ]
    return len(deleted), [StoreEvent("delete", tuple(deleted))] if deleted else []


def delete_all(conn: sqlite3.Connection) -> Outcome:
    """Delete every message: how many there were, and one `all` event."""
    # Row by row the delete trigger would cost seconds on a big store; wipe each table.
    count = conn.execute("SELECT total FROM counters").fetchone()[0]
    for table in ("messages", "raw", "tags", "fts"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("UPDATE counters SET total = 0, unread = 0")
    return count, [StoreEvent("delete", all=True, count=count)]
