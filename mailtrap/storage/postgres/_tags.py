"""The PostgreSQL store's tag writes, run on its writer thread inside a batch's transaction.

A message's tags live in three places kept equal here, as in the SQLite store: `messages.tags`
(the JSON list shown), the `tags` table (for listing and `tag:`) and `search.tags` (free text).
"""

from __future__ import annotations

import json

from mailtrap.errors import TagExists, TagNotFound
from mailtrap.message.searchtext import tags_text
from mailtrap.storage import _schema
from mailtrap.storage._tags import renamed, tag_events, without
from mailtrap.storage.base import StoreEvent
from mailtrap.storage.postgres._writer import Conn, Outcome

__all__ = ["delete_tag", "rename_tag", "set_tags"]


def write_tags(conn: Conn, seq: int, tags: tuple[str, ...]) -> None:
    """Make `tags` the tags of message `seq`, everywhere they are kept."""
    conn.execute("DELETE FROM tags WHERE seq = %s", (seq,))
    conn.execute(
        "INSERT INTO tags (seq, key, tag) SELECT %s, k, t FROM unnest(%s::text[], %s::text[])"
        " AS u(k, t)",
        (seq, [t.casefold() for t in tags], list(tags)),
    )
    conn.execute("UPDATE messages SET tags = %s WHERE seq = %s", (_schema.dump(list(tags)), seq))
    conn.execute("UPDATE search SET tags = %s WHERE seq = %s", (tags_text(tags), seq))


def set_tags(conn: Conn, ids: list[str], tags: tuple[str, ...]) -> Outcome:
    """Replace the tags of the messages `ids` that exist (in the order given)."""
    seqs: dict[str, int] = dict(
        conn.execute("SELECT id, seq FROM messages WHERE id = ANY(%s)", (ids,)).fetchall()
    )
    found = [id for id in ids if id in seqs]
    for id in found:
        write_tags(conn, seqs[id], tags)
    return len(found), ([StoreEvent("update", tuple(found), tags=tags)] if found else [])


def _carrying(conn: Conn, key: str, tag: str) -> list[tuple[int, str, list[str]]]:
    """(seq, id, tags) of each message carrying the tag `key`, oldest first; TagNotFound if
    there is none. Locks their rows: a concurrent instance's change waits for this one."""
    rows = conn.execute(
        "SELECT m.seq, m.id, m.tags FROM tags t JOIN messages m ON m.seq = t.seq "
        "WHERE t.key = %s ORDER BY m.seq FOR UPDATE OF m",
        (key,),
    ).fetchall()
    if not rows:
        raise TagNotFound(tag)
    return [(seq, id, json.loads(tags)) for seq, id, tags in rows]


def rename_tag(conn: Conn, key: str, old: str, name: str) -> Outcome:
    """Rename the tag `key` (asked for as `old`) to `name` on every message carrying it."""
    found = _carrying(conn, key, old)
    new_key = name.casefold()
    if new_key != key and conn.execute("SELECT 1 FROM tags WHERE key = %s", (new_key,)).fetchone():
        raise TagExists(old, name)
    changes = {}
    for seq, id, tags in found:
        changes[id] = renamed(tags, key, name)
        write_tags(conn, seq, changes[id])
    return len(found), tag_events(changes)


def delete_tag(conn: Conn, key: str, tag: str) -> Outcome:
    """Take the tag `key` (asked for as `tag`) off every message carrying it."""
    found = _carrying(conn, key, tag)
    changes = {}
    for seq, id, tags in found:
        changes[id] = without(tags, key)
        write_tags(conn, seq, changes[id])
    return len(found), tag_events(changes)
