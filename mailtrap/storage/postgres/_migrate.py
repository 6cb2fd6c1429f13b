"""The PostgreSQL store's schema migrations: the numbered `schema/NNNN_name.sql` files.

They run in one transaction that first takes an advisory lock on the inbox's schema, so that
instances starting together on an empty schema migrate it once: the others wait, then find it
done. The version is a row in the schema's `schema_version` table. A schema newer than this
mailtrap knows is refused, naming both versions and the fix.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import psycopg
from psycopg import sql

from mailtrap.errors import MailtrapError

__all__ = ["lock_key", "migrate", "migrations"]

_MIGRATION = re.compile(r"^(\d{4})_\w+\.sql$")


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) for every bundled migration, in order."""
    found = []
    for entry in resources.files("mailtrap.storage.postgres").joinpath("schema").iterdir():
        if m := _MIGRATION.match(entry.name):
            found.append((int(m.group(1)), entry.read_text("utf-8")))
    return sorted(found)


def lock_key(conn: psycopg.Connection[tuple[Any, ...]], schema: str, purpose: str) -> int:
    """The advisory lock key for `purpose` ("migrate", "prune") on `schema`: one 64-bit
    number per pair, the same in every instance."""
    row = conn.execute(
        "SELECT hashtextextended(%s, 0)", (f"mailtrap:{purpose}:{schema}",)
    ).fetchone()
    assert row is not None
    return int(row[0])


def migrate(conn: psycopg.Connection[tuple[Any, ...]], schema: str, where: str) -> None:
    """Create `schema` if need be and bring it to the newest version; `where` names the
    database in errors. `conn` must be idle; it is left idle, with search_path unchanged."""
    steps = migrations()
    newest = steps[-1][0]
    ident = sql.Identifier(schema)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(conn, schema, "migrate"),))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident))
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(ident))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
        row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
        version = int(row[0]) if row and row[0] is not None else 0
        if version > newest:
            raise MailtrapError(
                f"schema {schema!r} in {where} has version {version}, newer than this "
                f"mailtrap knows ({newest}); upgrade mailtrap, or pass another "
                "--database-schema"
            )
        for number, script in steps:
            if number > version:
                conn.execute(script.encode())  # several statements: no parameters
                conn.execute("DELETE FROM schema_version")
                conn.execute("INSERT INTO schema_version VALUES (%s)", (number,))
