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
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from mailtrap.storage._batches import BatchWriter, Outcome, fail, runs, started
from mailtrap.storage._batches import Operation as BaseOperation
from mailtrap.storage.base import StoreEvent

__all__ = ["Operation", "Outcome", "Writer"]

log = logging.getLogger("mailtrap.storage")

R = TypeVar("R")

# `apply_many(conn, ops)` runs a run of like operations at once (the store inserts a burst of
# messages with one executemany per table); it returns one outcome per operation.
ApplyMany = Callable[[sqlite3.Connection, list["Operation"]], list[Outcome]]


# What a committed batch did: each operation's outcome, and the events of the upkeep.
Committed = tuple[list[tuple["Operation", Outcome]], list[StoreEvent]]


@dataclass(slots=True, eq=False, repr=False, kw_only=True)
class Operation(BaseOperation[sqlite3.Connection, ApplyMany]):
    """A write (see `_batches.Operation`), on the writer thread.

    `statement_rows` promises that `apply_many` runs up to that many such operations as exactly
    one SQL statement (0: no such promise). `prepare(op)` runs on the writer thread before the
    batch is grouped, and may set `statement_rows` too.
    """

    statement_rows: int = 0


class Writer(BatchWriter[sqlite3.Connection, Operation]):
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
        super().__init__("SQLiteStore", emit)
        self._conn = conn
        self._before_commit = before_commit
        self._after_commit = after_commit
        self._thread = threading.Thread(
            target=self._run, args=(self._incoming,), name=name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Finish every queued operation, then stop the thread. Idempotent."""
        if self._shut():
            self._thread.join()

    def close(self) -> None:
        """Stop, then close the connection. Close it last of all connections to the database:
        the last one out checkpoints the WAL and deletes it."""
        self.stop()
        try:
            self._conn.execute("PRAGMA optimize")  # cheap upkeep for the query planner
        finally:
            self._conn.close()

    def _run_batch(self, batch: list[Operation]) -> None:
        live = [op for op in batch if started(op)]
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
        self._settle(done, extra)

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
            for run in runs(live):
                self._apply(conn, run, done)
            extra = self._before_commit(conn) if done else []
            conn.execute("COMMIT")
        except Exception as exc:
            log.exception("SQLite write batch of %d operations failed", len(live))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            fail(live, exc)
            return None
        return done, extra

    def _isolated(
        self, conn: sqlite3.Connection, name: str, work: Callable[[sqlite3.Connection], R]
    ) -> R | Exception:
        # The savepoint's own statements stay outside the `except`: if one fails (SQLite
        # rolled the whole transaction back, say, on a full disk), so does the batch.
        conn.execute(f"SAVEPOINT {name}")
        try:
            return work(conn)
        except Exception as exc:
            conn.execute(f"ROLLBACK TO {name}")
            return exc
        finally:
            conn.execute(f"RELEASE {name}")

    def _outcomes(
        self, conn: sqlite3.Connection, many: ApplyMany, run: list[Operation]
    ) -> list[Outcome]:
        return many(conn, run)
