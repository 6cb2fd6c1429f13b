"""The single writer thread behind `SQLiteStore`: group commit for every write.

All writes go through one connection on one thread, so SQLite never sees two writers from this
process and "database is locked" cannot happen between them. Whatever is queued while a commit
is running becomes the next batch: 20 concurrent senders cost one commit, not 20, and nobody
waits for a timer. Each operation runs inside its own savepoint, so one failing operation fails
only its own future.
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

# An operation: `prepare()` runs before the transaction (parsing, so the write lock is held only
# for the inserts), then `apply(conn)` runs inside it and returns (result, events to emit).
Apply = Callable[[sqlite3.Connection], tuple[Any, list[StoreEvent]]]


class Operation:
    __slots__ = ("apply", "future", "prepare")

    def __init__(self, apply: Apply, prepare: Callable[[], None] | None = None) -> None:
        self.apply = apply
        self.prepare = prepare
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

    def close(self) -> None:
        """Finish every queued operation, stop the thread and close the connection."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join()
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
        for op in live:
            if op.prepare is not None:
                try:
                    op.prepare()
                except Exception as exc:  # a bug in parsing must not stall the others
                    op.future.set_exception(exc)
        live = [op for op in live if not op.future.done()]
        done: list[tuple[Operation, Any, list[StoreEvent]]] = []
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op in live:
                conn.execute("SAVEPOINT op")
                try:
                    result, events = op.apply(conn)
                except Exception as exc:
                    conn.execute("ROLLBACK TO op")
                    op.future.set_exception(exc)
                else:
                    done.append((op, result, events))
                finally:
                    conn.execute("RELEASE op")
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
        for op, result, events in done:
            op.future.set_result(result)
            for event in events:
                self._emit(event)
        for event in extra:
            self._emit(event)
