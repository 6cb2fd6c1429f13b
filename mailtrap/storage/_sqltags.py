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

__all__ = ["delete_tag", "rename_tag", "write_tags"]


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
