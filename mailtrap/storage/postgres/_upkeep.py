"""Upkeep of a schema that instances share: counter rows folded at start, and a retention sweeper.

Counts live in one `counters` row per writing instance (so that instances never wait on each
other's update of one row), named by host, pid and a random tag: every start would add a row
for good. `fold_counters` moves, at start, every other instance's row into one `(folded)` row,
in one statement (DELETE ... RETURNING, summed into the upsert of that row), so the sum stays
exact. An instance still running loses nothing: its row was deleted with its counts moved,
and its next write's upsert makes the row again from zero. The rows therefore stay at one per
instance that wrote since the last start, plus the folded one.

Retention prunes inside each batch, so an instance that writes nothing never prunes. The
schema then stays above `--max-messages` when another instance writes into it without that
limit (or with a larger one), or after a restart with a lower limit. The `Sweeper` thread
checks the count every few seconds and, when it is over, queues an empty write on the
store's writer thread: that batch's usual prune deletes at most `PRUNE_MOST` of the oldest
messages under the same advisory lock, and announces them as any batch does (once, to this
instance's subscribers and by NOTIFY to the others). While still over it sweeps again soon.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from psycopg import sql

from mailtrap.storage.postgres._migrate import lock_key
from mailtrap.storage.postgres._writer import Conn, Operation, Outcome

__all__ = ["FOLDED", "PRUNE_MOST", "SWEEP_SECONDS", "Sweeper", "fold_counters"]

log = logging.getLogger("mailtrap.storage")

FOLDED = "(folded)"  # the counters row of instances folded away; no instance name has spaces
PRUNE_MOST = 1_000  # oldest messages one batch deletes at most: a lowered limit takes several
SWEEP_SECONDS = 10.0  # between checks of the count, by default
SWEEP_AGAIN = 0.05  # seconds before the next sweep while the count is still over the limit
# close() waits no longer: a check stuck on an unreachable server ends by itself (daemon).
_JOIN_SECONDS = 1.0


def fold_counters(conn: Conn, schema: str, *, keep: str) -> None:
    """Fold every counters row of `schema` but `keep`'s (and the folded row) into the folded
    row. `conn` must be idle; it is left idle, with search_path unchanged. Two instances
    starting together take turns (an advisory lock): neither can wait on the other's rows."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(conn, schema, "counters"),))
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        conn.execute(
            "WITH gone AS (DELETE FROM counters WHERE writer <> ALL(%s) RETURNING total, unread)"
            " INSERT INTO counters AS c (writer, total, unread)"
            " SELECT %s, sum(total), sum(unread) FROM gone HAVING count(*) > 0"
            " ON CONFLICT (writer) DO UPDATE"
            " SET total = c.total + excluded.total, unread = c.unread + excluded.unread",
            ([keep, FOLDED], FOLDED),
        )


def _nothing(_conn: Conn) -> Outcome:
    """An empty write: its batch runs the store's prune, which is the point."""
    return None, []


class Sweeper:
    """A daemon thread for the inbox in `schema` that, while `limit` is set (not 0), checks
    `count()` at start and every `every` (> 0) seconds, and when it is over `limit` submits
    an empty write with `submit` (the store's writer, whose batch prunes). A database that
    cannot be reached meanwhile is tried again at the next check."""

    def __init__(
        self,
        submit: Callable[[Operation], Future[Any]],
        count: Callable[[], int],
        *,
        limit: int,
        every: float,
        schema: str,
    ) -> None:
        self._submit = submit
        self._count = count
        self._limit = limit
        self._every = every
        self._stop = threading.Event()
        name = f"mailtrap-pg-sweeper:{schema}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        if limit:
            self._thread.start()

    def close(self) -> None:
        """Stop the thread (a sweep under way finishes first). Idempotent."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=_JOIN_SECONDS)

    def _run(self) -> None:
        delay = 0.0  # a limit lowered at restart is kept from the start
        while not self._stop.wait(delay):
            delay = self._every
            try:
                if self._count() > self._limit:
                    self._submit(Operation(_nothing)).result()
                    delay = SWEEP_AGAIN  # PRUNE_MOST at a time: there may be more
            except Exception as exc:  # unreachable, or closed under us: the next check retries
                if not self._stop.is_set():
                    log.debug("retention sweep skipped: %s", exc)
