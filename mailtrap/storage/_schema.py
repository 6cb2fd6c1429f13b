"""SQLite schema migrations and the mapping between rows and model objects.

Migrations are the numbered `schema/NNNN_name.sql` files, applied in order inside one
`BEGIN IMMEDIATE` transaction that re-reads `PRAGMA user_version`, so two processes opening a
new database at once cannot both apply the same step. A step that SQL alone cannot do has a
Python function in `AFTER_SCRIPT`, run in the same transaction right after its script.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from mailtrap.errors import MailtrapError
from mailtrap.message.models import Address, Envelope, MessageSummary
from mailtrap.message.parsing import Digest, summarize
from mailtrap.message.searchtext import COLUMNS, indexed_text, tags_text

log = logging.getLogger("mailtrap.storage")

_MIGRATION = re.compile(r"^(\d{4})_\w+\.sql$")

SUMMARY_COLUMNS = (
    "id, created, size, read, message_id, subject, addresses, return_path, date, "
    "attachment_count, snippet, tags, username"
)
# The same, for queries that join the FTS table (which has columns of the same names).
QUALIFIED_COLUMNS = ", ".join(f"m.{c.strip()}" for c in SUMMARY_COLUMNS.split(","))


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) for every bundled migration, in order."""
    found = []
    for entry in resources.files("mailtrap.storage").joinpath("schema").iterdir():
        if m := _MIGRATION.match(entry.name):
            found.append((int(m.group(1)), entry.read_text("utf-8")))
    return sorted(found)


def _statements(script: str) -> list[str]:
    # executescript() would commit our transaction; split instead (trigger bodies included).
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending)
            pending = ""
    if pending.strip() and not pending.strip().startswith("--"):
        statements.append(pending)
    return statements


# The search index's trigram tokenizer (schema 5) arrived in SQLite 3.34.0.
MIN_SQLITE = (3, 34, 0)


def check_sqlite(version: tuple[int, int, int] = sqlite3.sqlite_version_info) -> None:
    """Refuse, with the fix, an SQLite too old for the schema."""
    if version < MIN_SQLITE:
        have, need = ".".join(map(str, version)), ".".join(map(str, MIN_SQLITE))
        raise MailtrapError(
            f"the SQLite store needs SQLite {need} or newer, and this Python has {have}; "
            "use --memory, or a Python built with a newer SQLite"
        )


def migrate(conn: sqlite3.Connection, path: str) -> None:
    """Bring the database at `path` (open on `conn`) up to the newest schema."""
    check_sqlite()
    steps = migrations()
    newest = steps[-1][0]
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > newest:
            raise MailtrapError(
                f"{path} has schema version {version}, newer than this mailtrap knows "
                f"({newest}); upgrade mailtrap or pass a different --db"
            )
        for number, script in steps:
            if number > version:
                for statement in _statements(script):
                    conn.execute(statement)
                if number in AFTER_SCRIPT:
                    AFTER_SCRIPT[number](conn)
                conn.execute(f"PRAGMA user_version = {number:d}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _reindex(conn: sqlite3.Connection) -> None:
    """Fill the search index (and `inline_count`) from every stored message, as ingest does:
    the index holds text folded in Python, which no SQL can compute. Tags come from the
    stored row, since they may have been changed since the message arrived."""
    names = ", ".join(c.name for c in COLUMNS)
    insert = f"INSERT INTO fts (rowid, {names}) VALUES (?{', ?' * len(COLUMNS)})"
    tags_at = [c.name for c in COLUMNS].index("tags")
    (total,) = conn.execute("SELECT count(*) FROM messages").fetchone()
    if total:  # about a millisecond a message: say why this start takes longer
        log.warning("rebuilding the search index of %d stored messages (once)", total)
    after = 0
    while rows := conn.execute(
        "SELECT seq, envelope, tags, data FROM messages JOIN raw USING (seq) "
        "WHERE seq > ? ORDER BY seq LIMIT 500",
        (after,),
    ).fetchall():
        for seq, envelope, tags, raw in rows:
            digest = summarize(bytes(raw), load_envelope(envelope))
            text = list(indexed_text(digest))
            text[tags_at] = tags_text(json.loads(tags))
            conn.execute(insert, (seq, *text))
            if digest.inline_count:
                conn.execute(
                    "UPDATE messages SET inline_count = ? WHERE seq = ?", (digest.inline_count, seq)
                )
        after = rows[-1][0]


# version -> what runs after that version's script, in its transaction
AFTER_SCRIPT: dict[int, Callable[[sqlite3.Connection], None]] = {5: _reindex}


# -- rows <-> models --------------------------------------------------------------------------


# One encoder for every row: json.dumps with any argument builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dump(value: Any) -> str:
    return _ENCODER.encode(value)


def _pairs(addresses: tuple[Address, ...]) -> list[list[str]]:
    return [[a.name, a.address] for a in addresses]


def message_row(digest: Digest, *, id: str, created: float, size: int) -> tuple[Any, ...]:
    """Values for `INSERT INTO messages (SUMMARY_COLUMNS, envelope)` minus the envelope."""
    addresses = {
        "from": [digest.sender.name, digest.sender.address] if digest.sender else None,
        "to": _pairs(digest.to),
        "cc": _pairs(digest.cc),
        "bcc": _pairs(digest.bcc),
        "reply_to": _pairs(digest.reply_to),
    }
    return (
        id,
        created,
        size,
        0,
        digest.message_id,
        digest.subject,
        dump(addresses),
        digest.return_path,
        digest.date.isoformat() if digest.date else None,
        digest.attachment_count,
        digest.snippet,
        dump(list(digest.tags)),
        digest.username,
    )


def envelope_json(envelope: Envelope) -> str:
    return dump(
        {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "peer": envelope.peer,
            "helo": envelope.helo,
            "tls": envelope.tls,
            "login": envelope.login,
        }
    )


def load_envelope(text: str) -> Envelope:
    data = json.loads(text)
    return Envelope(
        mail_from=data["mail_from"],
        rcpt_tos=tuple(data["rcpt_tos"]),
        peer=data["peer"],
        helo=data["helo"],
        tls=data["tls"],
        login=data["login"],
    )


def _addresses(pairs: list[list[str]]) -> tuple[Address, ...]:
    return tuple(Address(n, a) for n, a in pairs)


def summary_from_row(row: tuple[Any, ...]) -> MessageSummary:
    """A summary from the first columns of a row selected with `SUMMARY_COLUMNS`."""
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
        attachment_count,
        snippet,
        tags,
        username,
    ) = row[:13]
    parsed = json.loads(addresses)
    sender = parsed["from"]
    return MessageSummary(
        id=id,
        message_id=message_id,
        subject=subject,
        sender=Address(*sender) if sender else None,
        to=_addresses(parsed["to"]),
        cc=_addresses(parsed["cc"]),
        bcc=_addresses(parsed["bcc"]),
        reply_to=_addresses(parsed["reply_to"]),
        return_path=return_path,
        date=datetime.fromisoformat(date) if date else None,
        created=datetime.fromtimestamp(created, UTC),
        size=size,
        read=bool(read),
        attachment_count=attachment_count,
        snippet=snippet,
        tags=tuple(json.loads(tags)),
        username=username,
    )
