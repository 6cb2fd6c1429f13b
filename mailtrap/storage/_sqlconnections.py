"""The SQLite store's connections: how each is opened, and the read-only one of each reading
thread.

Every connection is opened with the same settings (`connect`); the writer's and the
checkpointer's write, readers' are read-only. A thread's first read opens its reader, which
`Readers` keeps for the thread's later reads and closes with the store: under WAL, readers
never block the writer or each other, and none is shared between threads.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from mailtrap.errors import MailtrapError, StoreClosed

__all__ = ["Readers", "connect", "open_error"]

_BUSY_TIMEOUT_MS = 10_000


def open_error(path: Path, exc: sqlite3.DatabaseError) -> MailtrapError:
    """The error to raise when `path` cannot be opened as a mailtrap database."""
    return MailtrapError(
        f"cannot open {path} as a mailtrap database ({exc}); "
        "pass another --db path, or move that file away"
    )


def connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    """A connection to the database at `path`, in autocommit mode (transactions are explicit)
    and usable from any thread; `readonly` ones cannot write. Raises MailtrapError
    (`open_error`) when SQLite cannot open it."""
    target = path.absolute().as_uri() + ("?mode=ro" if readonly else "")
    try:
        conn = sqlite3.connect(
            target,
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=256,  # the writer's multi-row INSERTs, one per burst size
        )
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = OFF")
        # Statement journals (a multi-row INSERT inside a savepoint needs one) in memory,
        # not in a temporary file opened and unlinked every few commits.
        conn.execute("PRAGMA temp_store = MEMORY")
        if readonly:
            conn.execute("PRAGMA query_only = 1")
    except sqlite3.DatabaseError as exc:
        raise open_error(path, exc) from exc
    return conn


class Readers:
    """One read-only connection to the database at `path` per thread that reads, opened on
    its first read. Closing is two steps, so that a store can stop its writer in between while
    threads that already read go on reading: `refuse` (a thread's first read raises
    StoreClosed from then on), then `close` (closes every reader)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._local = threading.local()
        self._open: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def get(self) -> sqlite3.Connection:
        """The calling thread's reader."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StoreClosed("this SQLiteStore is closed; open a new one")
            conn = connect(self._path, readonly=True)
            with self._lock:
                self._open.append(conn)
            self._local.conn = conn
        return conn

    def refuse(self) -> None:
        """From now on, a thread's first read raises StoreClosed."""
        self._closed = True

    def close(self) -> None:
        """Close every reader opened so far (after `refuse`, no more will open)."""
        with self._lock:
            readers, self._open = self._open, []
        for conn in readers:
            conn.close()
