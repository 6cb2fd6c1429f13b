"""The single writer thread behind `SQLiteStore`: group commit for every write.

All writes go through one connection on one thread, so SQLite never sees two writers from this
process and "database is locked" cannot happen between them. Whatever is queued while a commit
is running becomes the next batch: 20 concurrent senders cost one commit, not 20, and nobody
waits for a timer. Consecutive operations that share an `apply_many` (message inserts) run
together; if such a run fails, each operation is retried in a savepoint of its own, so one
failing operation fails only its own future. A batch that `apply_many` turns into a single
statement runs without BEGIN and COMMIT: SQLite makes one statement atomic by itself, and each
statement costs the writer a handover of the GIL.
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


# What a committed batch did: each operation's outcome, and the events of the upkeep.
Committed = tuple[list[tuple["Operation", Outcome]], list[StoreEvent]]


class Operation:
    """A write: `apply`, optionally `apply_many` for consecutive operations sharing it, and
    `data` for the latter to read.

    `statement_rows` promises that `apply_many` runs up to that many such operations as exactly
    one SQL statement (0: no such promise). `prepare(op)`, if given, runs on the writer thread
    before the batch is grouped, and may set `data` and `statement_rows`; if it raises, only
    this operation fails.
    """

    __slots__ = ("apply", "apply_many", "data", "future", "prepare", "statement_rows")

    def __init__(
        self,
        apply: Apply,
        *,
        apply_many: ApplyMany | None = None,
        data: Any = None,
        statement_rows: int = 0,
        prepare: Callable[[Operation], None] | None = None,
    ) -> None:
        self.apply = apply
        self.apply_many = apply_many
        self.data = data
        self.statement_rows = statement_rows
        self.prepare = prepare
        self.future: Future[Any] = Future()


class Writer:
    """Runs operations on `conn` in batches on a daemon thread named `name`.

    `before_commit(conn)` runs inside each batch's transaction after its operations (the store
    prunes there) and returns extra events. `emit` publishes events once the batch commits.
    `after_commit()` runs after every batch that wrote something.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        name: str,
        before_commit: Callable[[sqlite3.Connection], list[StoreEvent]],
        emit: Callable[[StoreEvent], None],
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._conn = conn
        self._before_commit = before_commit
        self._emit = emit
        self._after_commit = after_commit
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
        live = [op for op in batch if op.future.set_running_or_notify_cancel() and _prepared(op)]
        if not live:
            return
        many = live[0].apply_many
        if (
            many is not None
            and len(live) <= min(op.statement_rows for op in live)
            and all(op.apply_many is many for op in live)
        ):
            committed = self._run_statement(many, live)
        else:
            committed = self._run_transaction(live)
        if committed is None:
            return
        done, extra = committed
        self._after_commit()
        # Subscribers hear of a change before its writer does: once add() returns, anyone
        # subscribed (a test's Mailbox, the live-events hub) has been told.
        for _, (_, events) in done:
            for event in events:
                self._emit(event)
        for event in extra:
            self._emit(event)
        for op, (result, _) in done:
            op.future.set_result(result)

    def _run_statement(self, many: ApplyMany, live: list[Operation]) -> Committed | None:
        """Run a batch that is one statement, in SQLite's own implicit transaction."""
        try:
            outcomes = many(self._conn, live)
        except Exception:
            # Nothing was written. Find the operation at fault, in a transaction as usual.
            return self._run_transaction(live)
        done = list(zip(live, outcomes, strict=True))
        try:
            extra = self._before_commit(self._conn)
        except Exception:
            # The mail is stored; only the upkeep failed, and the next batch tries it again.
            log.exception("SQLite upkeep after a write batch failed")
            extra = []
        return done, extra

    def _run_transaction(self, live: list[Operation]) -> Committed | None:
        """Run a batch in one transaction; None (every future failed) if it could not commit."""
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
            return None
        return done, extra

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


def _prepared(op: Operation) -> bool:
    """Run `op.prepare`; False (and the operation failed) if it raised."""
    if op.prepare is None:
        return True
    try:
        op.prepare(op)
    except Exception as exc:
        log.exception("preparing a write failed")
        op.future.set_exception(exc)
        return False
    return True
