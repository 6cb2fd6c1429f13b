"""How a `PostgresStore` connects: one writer connection, a pool of readers, a listener.

Every connection says in `application_name` which instance and role holds it (pg_stat_activity
shows them), and has the inbox's schema as its search_path. Readers run each read in a
read-only REPEATABLE READ transaction, so a page and its counts share one snapshot; a pooled
connection is checked before it is handed out, so one left from before a server restart is
replaced rather than failing a request. A database that cannot be reached is `unavailable`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import IsolationLevel, sql
from psycopg_pool import ConnectionPool, PoolTimeout

from mailtrap.storage.postgres._writer import Conn, unavailable

__all__ = ["CONNECT_TIMEOUT", "POOL_WAIT", "Connections"]

CONNECT_TIMEOUT = 10  # seconds, for every connection a store opens
POOL_WAIT = 5  # seconds a read waits for a pooled connection before the store is unavailable


class Connections:
    """Connections to the database at `url` (named `where` in errors) for the inbox in
    `schema`, held by `instance`; at most `readers` pooled read connections."""

    def __init__(self, url: str, *, schema: str, instance: str, where: str, readers: int) -> None:
        self.url = url
        self.instance = instance
        self.where = where
        self._search_path = sql.SQL("SET search_path TO {}").format(sql.Identifier(schema))
        self.pool: ConnectionPool[Conn] = ConnectionPool(
            url,
            min_size=1,
            max_size=readers,
            kwargs=self.options("reader"),
            configure=self._configure_reader,
            check=ConnectionPool.check_connection,
            timeout=POOL_WAIT,
            name=f"mailtrap-pg-readers:{schema}",
            open=True,
        )

    def options(self, role: str) -> dict[str, Any]:
        """psycopg.connect's keywords for a connection of `role` (writer, reader, listener)."""
        name = f"mailtrap {role} {self.instance}"[:63]  # PostgreSQL keeps 63 bytes of it
        return {"connect_timeout": CONNECT_TIMEOUT, "application_name": name}

    def _configure_reader(self, conn: Conn) -> None:
        conn.autocommit = True
        conn.execute(self._search_path)
        conn.autocommit = False
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True

    def writer(self) -> Conn:
        """A new writer connection: its counts go to this instance's row (`mailtrap.writer`).
        Autocommit: the writer sends BEGIN and COMMIT itself (in pipeline mode, where psycopg's
        own transactions would wait for the server after each)."""
        conn = psycopg.connect(self.url, autocommit=True, **self.options("writer"))
        conn.execute(self._search_path)
        conn.execute("SELECT set_config('mailtrap.writer', %s, false)", (self.instance,))
        return conn

    def listener(self) -> Conn:
        """A new connection for LISTEN (autocommit: notifications arrive outside transactions)."""
        return psycopg.connect(self.url, autocommit=True, **self.options("listener"))

    @contextmanager
    def read(self) -> Iterator[Conn]:
        """A pooled connection in a read-only snapshot, committed when the block ends."""
        try:
            with self.pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise unavailable(self.where, exc) from None

    def close(self) -> None:
        self.pool.close()
