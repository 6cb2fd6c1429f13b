"""Copying committed pages from the WAL into the database, beside the writer instead of in it.

By default SQLite checkpoints inside a COMMIT once the WAL passes 1000 pages: every few dozen
commits, one of them copies megabytes and syncs the disk while every SMTP client waits for its
`250`. Here a thread of its own runs PASSIVE checkpoints, which never block the writer, after
each burst of commits. The writer keeps a higher `wal_autocheckpoint` as a bound: a passive
checkpoint cannot catch up while commits keep coming, and only a complete one lets SQLite
start the WAL file over, so under a long flood the writer still finishes the job (with little
left to copy) once the WAL reaches `WAL_LIMIT_PAGES`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

__all__ = ["WAL_LIMIT_PAGES", "Checkpointer"]

log = logging.getLogger("mailtrap.storage")

# The writer's own autocheckpoint, in pages of 4 KiB: a WAL of at most about 16 MiB.
WAL_LIMIT_PAGES = 4096
# After a checkpoint, let this many seconds of commits gather before the next: a page that
# several commits rewrite (an index root, the counters row, the search index's structure
# record; 13 to 17 pages each commit) is then copied once, not each time. At 0.05 s this thread
# took 30 to 40 us of CPU a message under smtp-source, at 0.25 s 11 to 20, and the writer less
# too. The WAL it leaves stays far below WAL_LIMIT_PAGES: a quarter second of commits is
# about 1,300 pages at 500 messages/s one or two a commit, or 2,000/s in bursts of ~15.
PAUSE = 0.25


class Checkpointer:
    """Runs `PRAGMA wal_checkpoint(PASSIVE)` on `conn` after `nudge()`, on a thread named
    `name`; `close()` closes `conn`.

    A failed checkpoint is logged and tried again on the next nudge: the writer's own
    autocheckpoint still bounds the WAL, so nothing is lost or stuck.
    """

    def __init__(self, conn: sqlite3.Connection, *, name: str) -> None:
        self._conn = conn
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        """Ask for a checkpoint soon; cheap enough to call after every commit."""
        if not self._wanted.is_set():
            self._wanted.set()

    def close(self) -> None:
        """Stop the thread and close its connection. Idempotent."""
        self._stopping.set()
        self._wanted.set()
        self._thread.join()

    def _run(self) -> None:
        conn = self._conn
        try:
            while True:
                self._wanted.wait()
                if self._stopping.is_set():
                    return
                self._wanted.clear()
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error:
                    log.warning("background WAL checkpoint failed; will retry", exc_info=True)
                self._stopping.wait(PAUSE)
        finally:
            conn.close()
