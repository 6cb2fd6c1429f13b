"""The SQLite store's tag writes, each run on its writer thread inside a batch's transaction.

A message's tags live in three places kept equal here: `messages.tags` (the JSON list shown),
the `tags` table (one row per tag, keyed by casefolded name, for listing and `tag:`) and the
`fts` column that free-text search reads (folded, as `searchtext.tags_text` makes it).
"""

from __future__ import annotations

import sqlite3

from mailtrap.message.searchtext import tags_text
from mailtrap.storage import _schema, _sqlcommon
from mailtrap.storage._sqlsearch import DIALECT
from mailtrap.storage._writer import Outcome
from mailtrap.storage.base import StoreEvent

__all__ = ["delete_tag", "rename_tag", "set_tags", "write_tags"]


def write_tags(conn: sqlite3.Connection, seq: int, tags: tuple[str, ...]) -> None:
    """Make `tags` the tags of message `seq`, everywhere they are kept."""
    conn.execute("DELETE FROM tags WHERE seq = ?", (seq,))
    conn.executemany(
        "INSERT INTO tags (seq, key, tag) VALUES (?, ?, ?)", [(seq, t.casefold(), t) for t in tags]
    )
    conn.execute("UPDATE messages SET tags = ? WHERE seq = ?", (_schema.dump(list(tags)), seq))
    conn.execute("UPDATE fts SET tags = ? WHERE rowid = ?", (tags_text(tags), seq))


def rename_tag(conn: sqlite3.Connection, key: str, old: str, name: str) -> Outcome:
    """Rename the tag `key` (asked for as `old`) to `name` on every message carrying it."""
    return _sqlcommon.rename_tag(conn, key, old, name, d=DIALECT, write=write_tags)


def delete_tag(conn: sqlite3.Connection, key: str, tag: str) -> Outcome:
    """Take the tag `key` (asked for as `tag`) off every message carrying it."""
    return _sqlcommon.delete_tag(conn, key, tag, d=DIALECT, write=write_tags)


def set_tags(conn: sqlite3.Connection, *, ids: list[str], tags: tuple[str, ...]) -> Outcome:
    """Make `tags` (normalized) the tags of each of the messages `ids` (no duplicates): how
    many of them exist, and one event naming those, in the order asked."""
    found = []
    for id in ids:
        row = conn.execute("SELECT seq FROM messages WHERE id = ?", (id,)).fetchone()
        if row is None:
            continue
        found.append(id)
        write_tags(conn, row[0], tags)
    return len(found), [StoreEvent("update", tuple(found), tags=tags)] if found else []
