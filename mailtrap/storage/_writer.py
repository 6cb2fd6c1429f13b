"""The single writer thread behind `SQLiteStore`: group commit for every write.

All writes go through one connection on one thread, so SQLite never sees two writers from this
process and "database is locked" cannot happen between them. Whatever is queued while a commit
is running becomes the next batch: 20 concurrent senders cost one commit, not 20, and nobody
waits for a timer. Consecutive operations that share an `apply_many` (message inserts) run
together; if such a run fails, each operation is retried in a savepoint of its own, so one
failing operation fails only its own future.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from mailtrap.errors import StoreClosed
from mailtrap.storage.base import StoreEvent

log = logging.getLogger("mailtrap.storage")

MAX_BATCH = 512

Outcome = tuple[Any, list[StoreEvent]]
# `apply(conn)` runs one operation inside the batch's transaction: (result, events to emit).
Apply = Callable[[sqlite3.Connection], Outcome]
# `apply_many(conn, ops)` runs a run of like operations at once (the store inserts a burst of
# messages with one executemany per table); it returns one outcome per operation.
ApplyMany = Callable[[sqlite3.Connection, list["Operation"]], list[Outcome]]


class Operation:
    """A write: `apply`, optionally `apply_many` for consecutive operations sharing it, and
    `data` for the latter to read."""

    __slots__ = ("apply", "apply_many", "data", "future")

    def __init__(self, apply: Apply, *, apply_many: ApplyMany | None = None, data: Any = None):
        self.apply = apply
        self.apply_many = apply_many
        self.data = data
        self.future: Future[Any] = Future()


class Writer:
    """Runs operations on `conn` in batches on a daemon thread named `name`.

    `before_commit(conn)` runs inside each batch's transaction after its operations (the store
    prunes there) and returns extra events. `emit` publishes events once the batch commits.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        name: str,
        before_commit: Callable[[sqlite3.Connection], list[StoreEvent]],
        emit: Callable[[StoreEvent], None],
    ) -> None:
        self._conn = conn
        self._before_commit = before_commit
        self._emit = emit
        self._queue: queue.SimpleQueue[Operation | None] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, op: Operation) -> Future[Any]:
        with self._lock:  # no operation may slip in behind the stop marker
            if self._closed:
                raise StoreClosed("this SQLiteStore is closed; open a new one")
            self._queue.put(op)
        return op.future

    def stop(self) -> None:
        """Finish every queued operation, then stop the thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join()

    def close(self) -> None:
        """Stop, then close the connection. Close it last of all connections to the database:
        the last one out checkpoints the WAL and deletes it."""
        self.stop()
        try:
            self._conn.execute("PRAGMA optimize")  # cheap upkeep for the query planner
        finally:
            self._conn.close()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[Operation] = []
            item = self._queue.get()
            while True:
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
                if len(batch) >= MAX_BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._run_batch(batch)

    def _run_batch(self, batch: list[Operation]) -> None:
        live = [op for op in batch if op.future.set_running_or_notify_cancel()]
        done: list[tuple[Operation, Outcome]] = []
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            i = 0
            while i < len(live):
                j = i + 1
                many = live[i].apply_many
                while many is not None and j < len(live) and live[j].apply_many is many:
                    j += 1
                self._apply(conn, live[i:j], done)
                i = j
            extra = self._before_commit(conn) if done else []
            conn.execute("COMMIT")
        except Exception as exc:
            log.exception("SQLite write batch of %d operations failed", len(live))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for op in live:
                if not op.future.done():
                    op.future.set_exception(exc)
            return
        # Subscribers hear of a change before its writer does: once add() returns, anyone
        # subscribed (a test's Mailbox, the live-events hub) has been told.
        for _, (_, events) in done:
            for event in events:
                self._emit(event)
        for event in extra:
            self._emit(event)
        for op, (result, _) in done:
            op.future.set_result(result)

    def _apply(
        self, conn: sqlite3.Connection, run: list[Operation], done: list[tuple[Operation, Outcome]]
    ) -> None:
        """Apply a run of operations; if it fails as a whole, retry each one on its own so
        that only the failing one fails."""
        many = run[0].apply_many
        if many is not None and len(run) > 1:
            conn.execute("SAVEPOINT run")
            try:
                outcomes = many(conn, run)
            except Exception:
                conn.execute("ROLLBACK TO run")
            else:
                done.extend(zip(run, outcomes, strict=True))
                return
            finally:
                conn.execute("RELEASE run")
        for op in run:
            conn.execute("SAVEPOINT op")
            try:
                outcome = op.apply(conn)
            except Exception as exc:
                conn.execute("ROLLBACK TO op")
                op.future.set_exception(exc)
            else:
                done.append((op, outcome))
            finally:
                conn.execute("RELEASE op")
