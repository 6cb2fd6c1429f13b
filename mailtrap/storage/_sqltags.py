"""The SQLite store's tag writes, each run on its writer thread inside a batch's transaction.

A message's tags live in three places kept equal here: `messages.tags` (the JSON list shown),
the `tags` table (one row per tag, keyed by casefolded name, for listing and `tag:`) and the
`fts` column that free-text search reads (folded, as `searchtext.tags_text` makes it).
"""

from __future__ import annotations

import json
import sqlite3

from mailtrap.errors import TagExists, TagNotFound
from mailtrap.message.searchtext import tags_text
from mailtrap.storage import _schema
from mailtrap.storage._tags import renamed, tag_events, without
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


def _carrying(conn: sqlite3.Connection, key: str, tag: str) -> list[tuple[int, str, list[str]]]:
    """(seq, id, tags) of each message carrying the tag `key`, oldest first; TagNotFound if
    there is none."""
    rows = conn.execute(
        "SELECT m.seq, m.id, m.tags FROM tags t JOIN messages m USING (seq) "
        "WHERE t.key = ? ORDER BY m.seq",
        (key,),
    ).fetchall()
    if not rows:
        raise TagNotFound(tag)
    return [(seq, id, json.loads(tags)) for seq, id, tags in rows]


def rename_tag(conn: sqlite3.Connection, key: str, old: str, name: str) -> Outcome:
    """Rename the tag `key` (asked for as `old`) to `name` on every message carrying it."""
    found = _carrying(conn, key, old)
    new_key = name.casefold()
    if new_key != key and conn.execute("SELECT 1 FROM tags WHERE key = ?", (new_key,)).fetchone():
        raise TagExists(old, name)
    changes = {}
    for seq, id, tags in found:
        changes[id] = renamed(tags, key, name)
        write_tags(conn, seq, changes[id])
    return len(found), tag_events(changes)


def delete_tag(conn: sqlite3.Connection, key: str, tag: str) -> Outcome:
    """Take the tag `key` (asked for as `tag`) off every message carrying it."""
    found = _carrying(conn, key, tag)
    changes = {}
    for seq, id, tags in found:
        changes[id] = without(tags, key)
        write_tags(conn, seq, changes[id])
    return len(found), tag_events(changes)
