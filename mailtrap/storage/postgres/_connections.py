"""How a `PostgresStore` connects: one writer connection, a pool of readers, a listener.

Every connection says in `application_name` which instance and role holds it (pg_stat_activity
shows them), and has the inbox's schema as its search_path.

No connection keeps a plan that scans a whole table for one message. psycopg prepares a
statement once it has run five times, and after five more PostgreSQL may keep one generic plan
for it; made while the inbox was small (or last ANALYZEd small), that plan reads the whole
table, and it stays until the next ANALYZE however large the inbox grows. Lookups by id then
read every message, and so do the checks of arriving mail's foreign keys (PostgreSQL's own
prepared statements, which `prepare_threshold=None` would not reach): 3,000 messages arriving
after an ANALYZE of one cost 6,000 scans of the whole table. So readers plan each statement for
its parameters (`plan_cache_mode=force_custom_plan`: some microseconds of the server's time a
read, and searches get the plan their terms need), and the writer, whose every statement finds
rows by a key, keeps its generic plans but never makes one that scans a table where an index
serves (`enable_seqscan=off`): planning each of its foreign-key checks cost the server about 25
us a message more.

Readers run each read in a read-only REPEATABLE READ transaction, so a page and its counts share
one snapshot. A pooled connection that heard from the server while it idled is checked before
it is handed out, so one left from before a server restart (the server says FATAL and hangs up)
is replaced rather than failing a request; one that heard nothing is handed out as it is, which
spares each read a round trip. A database that cannot be reached is `unavailable`.
"""

from __future__ import annotations

import select
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
        # Simple-query SETs, one round trip for all of them (and none of them prepared).
        self._search_path = sql.SQL("SET search_path TO {}").format(sql.Identifier(schema))
        self.pool: ConnectionPool[Conn] = ConnectionPool(
            url,
            min_size=1,
            max_size=readers,
            kwargs=self.options("reader"),
            configure=self._configure_reader,
            check=_check,
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
        conn.execute(
            sql.SQL("{}; SET plan_cache_mode TO force_custom_plan").format(self._search_path)
        )
        conn.autocommit = False
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True

    def writer(self) -> Conn:
        """A new writer connection: its counts go to this instance's row (`mailtrap.writer`).
        Autocommit: the writer sends BEGIN and COMMIT itself (in pipeline mode, where psycopg's
        own transactions would wait for the server after each)."""
        conn = psycopg.connect(self.url, autocommit=True, **self.options("writer"))
        conn.execute(
            sql.SQL("{}; SET enable_seqscan TO off; SET mailtrap.writer TO {}").format(
                self._search_path, sql.Literal(self.instance)
            )
        )
        return conn

    def listener(self) -> Conn:
        """A new connection for LISTEN (autocommit: notifications arrive outside transactions).
        It runs no statement but LISTEN, so it needs no search_path nor plan settings: the
        summaries it announces are loaded by a reader."""
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


def _check(conn: Conn) -> None:
    """Raise if the idle pooled `conn` is broken. An idle connection's socket stays silent
    unless the server spoke: it ended the session (a restart, pg_terminate_backend) or sent a
    notice. Only then does the check cost a round trip (`check_connection`)."""
    poll = select.poll()
    poll.register(conn.fileno(), select.POLLIN)
    if conn.broken or poll.poll(0):
        ConnectionPool.check_connection(conn)
