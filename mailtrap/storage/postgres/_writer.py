"""The single writer thread behind `PostgresStore`: group commit, as the SQLite store has.

Whatever is queued while a commit runs becomes the next batch, in one transaction: 20
concurrent senders cost one COMMIT, not 20. Consecutive operations sharing an `apply_many`
(message inserts) run together. The store's upkeep (pruning) runs last in the transaction;
events are emitted and futures resolved only after the COMMIT, so the SMTP `250` means the
mail is durable.

A batch runs in pipeline mode, BEGIN and COMMIT sent as statements on the autocommit
connection: only reading a result waits for the server. Inserts say beforehand what to
announce (`Operation.notice`) and their results are read after the COMMIT, so a batch of mail
is one round trip (two with retention), not seven. Each wait gives up the GIL, and getting it
back from a busy event loop can take a switch interval (5 ms). If anything in the batch fails,
it is rolled back and run again the careful way: each run of operations in a savepoint, and
if that fails each operation in its own, so one failing operation fails only its own future.

A preparing thread takes the operations first, in order, and parses arriving mail while the
writer waits on the server (about 9% more mail a second with 20 senders).

The connection is opened on first use and again after it breaks (the server restarted, an
administrator ended the session): a batch on a broken connection fails, the next one
reconnects.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from functools import cache, partial
from typing import Any

import psycopg

from mailtrap.errors import StoreClosed, StoreUnavailable
from mailtrap.storage.base import StoreEvent

log = logging.getLogger("mailtrap.storage")

MAX_BATCH = 512

Conn = psycopg.Connection[tuple[Any, ...]]
Outcome = tuple[Any, list[StoreEvent]]
Apply = Callable[[Conn], Outcome]
# Sends a run's statements; what it returns reads their outcomes (after the COMMIT, if need be).
ApplyMany = Callable[[Conn, list["Operation"]], Callable[[], list[Outcome]]]


class Operation:
    """A write: `apply(conn)`, optionally `apply_many(conn, ops)` for consecutive operations
    sharing it, and `data` for the latter to read. `prepare(op)`, if given, runs on the
    writer's preparing thread before the batch (the store parses arriving mail there); if it
    raises, only this operation fails. `notice`, if `prepare` sets it, is what the other
    instances are to hear of this write, known before it runs (an arriving message's id): a
    run of such operations is announced without waiting for its outcomes."""

    __slots__ = ("apply", "apply_many", "data", "future", "notice", "prepare")

    def __init__(
        self,
        apply: Apply,
        *,
        apply_many: ApplyMany | None = None,
        data: Any = None,
        prepare: Callable[[Operation], None] | None = None,
    ) -> None:
        self.apply = apply
        self.apply_many = apply_many
        self.data = data
        self.prepare = prepare
        self.notice: list[StoreEvent] | None = None
        self.future: Future[Any] = Future()


class Writer:
    """Runs operations in batches on a daemon thread named `name`, on connections from
    `connect()` to the database `where` (named in errors). `before_commit(conn)` runs at the
    end of each batch's transaction and returns extra events; `announce(conn, events)` then
    runs in the same transaction with all of the batch's events (the store NOTIFYs other
    instances there); `emit` publishes every event once the batch has committed."""

    def __init__(
        self,
        connect: Callable[[], Conn],
        *,
        name: str,
        where: str,
        before_commit: Callable[[Conn], list[StoreEvent]],
        emit: Callable[[StoreEvent], None],
        announce: Callable[[Conn, list[StoreEvent]], None],
    ) -> None:
        self._connect = connect
        self._where = where
        self._announce = announce
        self._conn: Conn | None = None
        self._before_commit = before_commit
        self._emit = emit
        self._incoming: queue.SimpleQueue[Operation | None] = queue.SimpleQueue()
        self._queue: queue.SimpleQueue[Operation | None] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._parser = threading.Thread(target=self._prepare, name=f"{name}:prepare", daemon=True)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._parser.start()
        self._thread.start()

    def submit(self, op: Operation) -> Future[Any]:
        with self._lock:  # no operation may slip in behind the stop marker
            if self._closed:
                raise StoreClosed("this PostgresStore is closed; open a new one")
            self._incoming.put(op)
        return op.future

    def close(self) -> None:
        """Finish every queued operation, stop the thread, close the connection. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._incoming.put(None)
        self._parser.join()
        self._thread.join()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _prepare(self) -> None:
        """Each operation in turn, prepared (parsed) while the writer waits on the server."""
        while True:
            op = self._incoming.get()
            if op is None:
                self._queue.put(None)
                return
            if op.future.set_running_or_notify_cancel() and _prepared(op):
                self._queue.put(op)

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

    def _connection(self) -> Conn:
        if self._conn is not None and self._conn.broken:
            self._conn.close()
            self._conn = None
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _run_batch(self, live: list[Operation]) -> None:
        for attempt in range(2):
            try:
                conn = self._connection()
                if not psycopg.Pipeline.is_supported():  # libpq before 14
                    done, extra = self._careful(conn, live)
                    break
                try:
                    read, extra = self._pipelined(conn, live)
                except Exception:
                    if conn.broken:
                        raise
                    log.debug(
                        "a batch of %d writes failed; running it again", len(live), exc_info=True
                    )
                    conn.rollback()
                    done, extra = self._careful(conn, live)
                else:
                    # Committed: whatever goes wrong now must not run the batch again.
                    done = read()
                break
            except psycopg.OperationalError as exc:
                # A connection left from before a server restart fails on first use: nothing
                # was written, so the batch runs once more on a new one.
                if attempt == 0 and self._conn is not None and self._conn.broken:
                    continue
                log.warning("PostgreSQL write batch of %d operations failed: %s", len(live), exc)
                self._fail(live, unavailable(self._where, exc))
                return
            except Exception as exc:
                log.exception("PostgreSQL write batch of %d operations failed", len(live))
                self._fail(live, exc)
                return
        # Subscribers hear of a change before its writer does, as in the SQLite store.
        for _, (_, events) in done:
            for event in events:
                self._emit(event)
        for event in extra:
            self._emit(event)
        for op, (result, _) in done:
            op.future.set_result(result)

    def _pipelined(
        self, conn: Conn, live: list[Operation]
    ) -> tuple[Callable[[], list[tuple[Operation, Outcome]]], list[StoreEvent]]:
        """Commit the batch in pipeline mode, all or nothing, or raise whatever any statement
        or operation raised. Returns what reads (operation, outcome) for each, and the
        upkeep's events."""
        steps: list[tuple[list[Operation], Callable[[], list[Outcome]]]] = []
        with conn.pipeline():
            conn.execute("BEGIN", prepare=False)
            for run in _runs(live):
                many = run[0].apply_many
                if many is not None:
                    steps.append((run, cache(many(conn, run))))  # read once, asked twice
                else:
                    steps += [([op], partial(_listed, op.apply(conn))) for op in run]
            extra = self._before_commit(conn)
            told: list[StoreEvent] = []
            for run, outcomes in steps:
                if all(op.notice is not None for op in run):
                    told += [e for op in run for e in op.notice or ()]
                else:
                    told += [e for _, events in outcomes() for e in events]
            self._announce(conn, told + extra)
            conn.execute("COMMIT", prepare=False)
        return lambda: [pair for run, got in steps for pair in zip(run, got(), strict=True)], extra

    def _careful(
        self, conn: Conn, live: list[Operation]
    ) -> tuple[list[tuple[Operation, Outcome]], list[StoreEvent]]:
        """The batch with each run in a savepoint, and each operation of a failing run in one
        of its own: a failing operation's future fails, the rest commit."""
        done: list[tuple[Operation, Outcome]] = []
        with conn.transaction():
            for run in _runs(live):
                self._apply(conn, run, done)
            extra = self._before_commit(conn) if done else []
            self._announce(conn, [e for _, (_, events) in done for e in events] + extra)
        return done, extra

    @staticmethod
    def _fail(live: list[Operation], exc: BaseException) -> None:
        for op in live:
            if not op.future.done():
                op.future.set_exception(exc)

    @staticmethod
    def _apply(conn: Conn, run: list[Operation], done: list[tuple[Operation, Outcome]]) -> None:
        """Apply a run of operations; if it fails as a whole, retry each one on its own so
        that only the failing one fails."""
        many = run[0].apply_many
        if many is not None and len(run) > 1:
            try:
                with conn.transaction():
                    outcomes = many(conn, run)()
            except psycopg.OperationalError:
                raise  # the connection is gone: nothing can be retried on it
            except Exception:
                log.debug("a run of %d writes failed; retrying each alone", len(run))
            else:
                done.extend(zip(run, outcomes, strict=True))
                return
        for op in run:
            try:
                with conn.transaction():
                    outcome = op.apply(conn)
            except psycopg.OperationalError:
                raise
            except Exception as exc:
                op.future.set_exception(exc)
            else:
                done.append((op, outcome))


def unavailable(where: str, exc: Exception) -> StoreUnavailable:
    """The error for a database that cannot be reached, naming it (without a password)."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreUnavailable(
        f"the PostgreSQL database at {where} cannot be reached ({reason}); mailtrap reconnects "
        "by itself: retry shortly"
    )


def _listed(outcome: Outcome) -> list[Outcome]:
    return [outcome]


def _runs(live: list[Operation]) -> list[list[Operation]]:
    """`live` cut into runs of consecutive operations sharing one `apply_many` (or alone)."""
    runs: list[list[Operation]] = []
    for op in live:
        if runs and op.apply_many is not None and runs[-1][-1].apply_many is op.apply_many:
            runs[-1].append(op)
        else:
            runs.append([op])
    return runs


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
