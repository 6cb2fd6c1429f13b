"""Group commit, the part the SQLite and PostgreSQL writers share.

Contract. A store's writer subclasses `BatchWriter` for its connection type `C` and its
`Operation` subclass. `submit` queues an operation and returns its future; after `_shut`
nothing more is accepted (`StoreClosed`, naming the store). `_run(source)` on the writer's
thread takes what is queued as one batch (at most `MAX_BATCH` operations, waiting only for
the first) and hands it to the store's `_run_batch`, until the stop marker. Operations reach
`_run_batch` in submission order; each must pass `started` first (cancelled or failed in
`prepare`: left out). Within a transaction, `_apply` runs a run of operations sharing one
`apply_many` (see `runs`) as a whole in a savepoint and, if that fails, each operation in a
savepoint of its own: a failing operation fails only its own future. Errors the store deems
fatal (its `_isolated` raises them) propagate, for the store to `fail` the batch. Once the
batch commits, `_settle` emits every event, then resolves the futures: subscribers hear of a
change before its writer does.

Nothing here runs per message beyond what the writers ran before: one `Operation` object and
its `__init__`, one `started` call; the rest is per batch or on the failure path.
"""

from __future__ import annotations

import logging
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Generic, Self, TypeVar

from mailtrap.errors import StoreClosed
from mailtrap.storage.base import StoreEvent

log = logging.getLogger("mailtrap.storage")

MAX_BATCH = 512

C = TypeVar("C")  # a store's connection
M = TypeVar("M")  # a store's `apply_many`
Op = TypeVar("Op", bound="Operation[Any, Any]")
R = TypeVar("R")

# What an operation did: (the caller's result, the events to emit once committed).
Outcome = tuple[Any, list[StoreEvent]]


# A dataclass: its one generated `__init__` sets the fields of a store's subclass too, so
# making an operation costs no extra call (the ingest path makes one per message).
@dataclass(slots=True, eq=False, repr=False)
class Operation(Generic[C, M]):
    """A write: `apply(conn)` runs it inside the batch's transaction and returns its
    `Outcome`; `apply_many(conn, ops)`, if given, runs consecutive operations sharing it at
    once, and reads their `data`. `prepare(op)`, if given, runs on a writer thread before the
    batch (it may set `data` and `apply`); if it raises, only this operation fails. `future`
    resolves to the outcome's result once the batch commits."""

    apply: Callable[[C], Outcome]
    _: KW_ONLY
    apply_many: M | None = None
    data: Any = None
    prepare: Callable[[Self], None] | None = None
    future: Future[Any] = field(init=False, default_factory=Future)


class BatchWriter(ABC, Generic[C, Op]):
    """Queueing, batching, careful retry and settling for the writer of the store named
    `store` (in errors); `emit` publishes an event. Subclasses start the thread(s)."""

    def __init__(self, store: str, emit: Callable[[StoreEvent], None]) -> None:
        self._store = store
        self._emit = emit
        self._incoming: queue.SimpleQueue[Op | None] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()

    def submit(self, op: Op) -> Future[Any]:
        with self._lock:  # no operation may slip in behind the stop marker
            if self._closed:
                raise StoreClosed(f"this {self._store} is closed; open a new one")
            self._incoming.put(op)
        return op.future

    def _shut(self) -> bool:
        """Accept nothing more and queue the stop marker; False if that was done already."""
        with self._lock:
            if self._closed:
                return False
            self._closed = True
            self._incoming.put(None)
        return True

    def _run(self, source: queue.SimpleQueue[Op | None]) -> None:
        """The writer thread: batches from `source` until its stop marker."""
        stopping = False
        while not stopping:
            batch: list[Op] = []
            item = source.get()
            while True:
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
                if len(batch) >= MAX_BATCH:
                    break
                try:
                    item = source.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._run_batch(batch)

    @abstractmethod
    def _run_batch(self, batch: list[Op]) -> None:
        """Run and commit `batch`, then `_settle` it, or `fail` it."""

    @abstractmethod
    def _isolated(self, conn: C, name: str, work: Callable[[C], R]) -> R | Exception:
        """`work(conn)` in a savepoint `name`: its result, or the exception it raised (the
        savepoint rolled back). Raises what is fatal to the whole batch."""

    @abstractmethod
    def _outcomes(self, conn: C, many: Any, run: list[Op]) -> list[Outcome]:
        """Run `many`, the `apply_many` of `run`, and read each operation's outcome."""

    def _apply(self, conn: C, run: list[Op], done: list[tuple[Op, Outcome]]) -> None:
        """Apply a run of operations; if it fails as a whole, retry each one on its own so
        that only the failing one fails."""
        many = run[0].apply_many
        if many is not None and len(run) > 1:
            outcomes = self._isolated(conn, "run", lambda c: self._outcomes(c, many, run))
            if not isinstance(outcomes, Exception):
                done.extend(zip(run, outcomes, strict=True))
                return
            log.debug("a run of %d writes failed; retrying each alone", len(run))
        for op in run:
            outcome = self._isolated(conn, "op", op.apply)
            if isinstance(outcome, Exception):
                op.future.set_exception(outcome)
            else:
                done.append((op, outcome))

    def _settle(self, done: list[tuple[Op, Outcome]], extra: list[StoreEvent]) -> None:
        """Emit the committed batch's events, then resolve its futures: once a write
        returns, anyone subscribed (a test's Mailbox, the live-events hub) has been told."""
        for _, (_, events) in done:
            for event in events:
                self._emit(event)
        for event in extra:
            self._emit(event)
        for op, (result, _) in done:
            op.future.set_result(result)


def runs(live: list[Op]) -> list[list[Op]]:
    """`live` cut into runs of consecutive operations sharing one `apply_many` (or alone)."""
    cut: list[list[Op]] = []
    for op in live:
        if cut and op.apply_many is not None and cut[-1][-1].apply_many is op.apply_many:
            cut[-1].append(op)
        else:
            cut.append([op])
    return cut


def fail(live: list[Op], exc: BaseException) -> None:
    """Fail every future of `live` not resolved yet with `exc`."""
    for op in live:
        if not op.future.done():
            op.future.set_exception(exc)


def started(op: Operation[Any, Any]) -> bool:
    """Mark `op` running and run its `prepare`: False (left out) if it was cancelled, or if
    `prepare` raised (then its future holds the error)."""
    if not op.future.set_running_or_notify_cancel():
        return False
    if op.prepare is None:
        return True
    try:
        op.prepare(op)
    except Exception as exc:
        log.exception("preparing a write failed")
        op.future.set_exception(exc)
        return False
    return True


def unprepared(_conn: object) -> Outcome:
    """The `apply` of an operation whose `prepare` sets the real one (arriving mail, parsed
    first): never called, since `started` prepares every operation before its batch."""
    raise AssertionError("the writer prepares (parses) a message before applying it")
