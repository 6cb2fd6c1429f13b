"""The PostgreSQL store's tag writes, run on its writer thread inside a batch's transaction.

A message's tags live in three places kept equal here, as in the SQLite store: `messages.tags`
(the JSON list shown), the `tags` table (for listing and `tag:`) and `search.tags` (free text).
"""

from __future__ import annotations

from mailtrap.message.searchtext import tags_text
from mailtrap.storage import _schema, _sqlcommon
from mailtrap.storage.base import StoreEvent
from mailtrap.storage.postgres._search import DIALECT
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


def rename_tag(conn: Conn, key: str, old: str, name: str) -> Outcome:
    """Rename the tag `key` (asked for as `old`) to `name` on every message carrying it."""
    return _sqlcommon.rename_tag(conn, key, old, name, d=DIALECT, write=write_tags)


def delete_tag(conn: Conn, key: str, tag: str) -> Outcome:
    """Take the tag `key` (asked for as `tag`) off every message carrying it."""
    return _sqlcommon.delete_tag(conn, key, tag, d=DIALECT, write=write_tags)
