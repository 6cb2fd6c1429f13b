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
back from a busy event loop can take a switch interval (`mailtrap serve` sets 1 ms). If
anything in the batch fails, it is rolled back and run again the careful way: each run of
operations in a savepoint, and if that fails each operation in its own, so one failing
operation fails only its own future.

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
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any, TypeVar

import psycopg

from mailtrap.errors import StoreUnavailable
from mailtrap.storage._batches import BatchWriter, Outcome, fail, runs, started
from mailtrap.storage._batches import Operation as BaseOperation
from mailtrap.storage.base import StoreEvent

__all__ = ["Conn", "Operation", "Outcome", "Writer", "unavailable"]

log = logging.getLogger("mailtrap.storage")

R = TypeVar("R")

Conn = psycopg.Connection[tuple[Any, ...]]
# Sends a run's statements; what it returns reads their outcomes (after the COMMIT, if need be).
ApplyMany = Callable[[Conn, list["Operation"]], Callable[[], list[Outcome]]]


@dataclass(slots=True, eq=False, repr=False)
class Operation(BaseOperation[Conn, ApplyMany]):
    """A write (see `_batches.Operation`); `prepare` runs on the writer's preparing thread
    (the store parses arriving mail there). `notice`, if `prepare` sets it, is what the other
    instances are to hear of this write, known before it runs (an arriving message's id): a
    run of such operations is announced without waiting for its outcomes."""

    notice: list[StoreEvent] | None = field(default=None, init=False)


class Writer(BatchWriter[Conn, Operation]):
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
        super().__init__("PostgresStore", emit)
        self._connect = connect
        self._where = where
        self._announce = announce
        self._conn: Conn | None = None
        self._before_commit = before_commit
        self._queue: queue.SimpleQueue[Operation | None] = queue.SimpleQueue()
        self._parser = threading.Thread(target=self._prepare, name=f"{name}:prepare", daemon=True)
        self._thread = threading.Thread(
            target=self._run, args=(self._queue,), name=name, daemon=True
        )
        self._parser.start()
        self._thread.start()

    def close(self) -> None:
        """Finish every queued operation, stop the thread, close the connection. Idempotent."""
        if not self._shut():
            return
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
            if started(op):
                self._queue.put(op)

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
                fail(live, unavailable(self._where, exc))
                return
            except Exception as exc:
                log.exception("PostgreSQL write batch of %d operations failed", len(live))
                fail(live, exc)
                return
        self._settle(done, extra)

    def _pipelined(
        self, conn: Conn, live: list[Operation]
    ) -> tuple[Callable[[], list[tuple[Operation, Outcome]]], list[StoreEvent]]:
        """Commit the batch in pipeline mode, all or nothing, or raise whatever any statement
        or operation raised. Returns what reads (operation, outcome) for each, and the
        upkeep's events."""
        steps: list[tuple[list[Operation], Callable[[], list[Outcome]]]] = []
        with conn.pipeline():
            conn.execute("BEGIN", prepare=False)
            for run in runs(live):
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
            for run in runs(live):
                self._apply(conn, run, done)
            extra = self._before_commit(conn) if done else []
            self._announce(conn, [e for _, (_, events) in done for e in events] + extra)
        return done, extra

    def _isolated(self, conn: Conn, name: str, work: Callable[[Conn], R]) -> R | Exception:
        try:
            with conn.transaction(savepoint_name=name):
                return work(conn)
        except psycopg.OperationalError:
            raise  # the connection is gone: nothing can be retried on it
        except Exception as exc:
            return exc

    def _outcomes(self, conn: Conn, many: ApplyMany, run: list[Operation]) -> list[Outcome]:
        return many(conn, run)()


def unavailable(where: str, exc: Exception) -> StoreUnavailable:
    """The error for a database that cannot be reached, naming it (without a password)."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreUnavailable(
        f"the PostgreSQL database at {where} cannot be reached ({reason}); mailtrap reconnects "
        "by itself: retry shortly"
    )


def _listed(outcome: Outcome) -> list[Outcome]:
    return [outcome]
