"""`EventHub`: the store's changes, carried onto the event loop for WebSockets and waiters.

The store calls its subscribers on whatever thread committed the change (the SQLite writer,
a request thread). `EventHub` hops them onto the loop, one wake-up per burst (a group commit
of 20 messages is 20 events), then fans each out to every WebSocket's queue and wakes every
long-poll waiter there.

Waiters need only the wake-up; the sockets send new mail's summaries. So the hub wants
summaries only while a socket listens: a store shared with other instances then skips loading
their mail for nobody. Should such mail arrive without its summary just as a socket joins,
that socket is told to reload (`reset`) rather than miss it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from mailtrap._bridge import LoopBatch
from mailtrap.storage.base import MessageStore, StoreEvent

__all__ = ["QUEUE_LIMIT", "EventHub"]

log = logging.getLogger("mailtrap.web")

QUEUE_LIMIT = 10_000  # events a client may fall behind before it is dropped (it can reload)


class EventHub:
    """Fan-out of store events on one event loop. `start()` on the loop; `stop()` after."""

    def __init__(self, store: MessageStore) -> None:
        self.store = store
        self.deleted = 0
        self._batch: LoopBatch[StoreEvent] | None = None
        self._queues: set[asyncio.Queue[StoreEvent | None]] = set()
        self._changed: asyncio.Event | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        self._batch = LoopBatch(asyncio.get_running_loop(), self._publish)
        self._changed = asyncio.Event()
        self._unsubscribe = self.store.subscribe(self._from_store, summaries=self._listened)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for queue in list(self._queues):
            queue.put_nowait(None)  # tells each socket to close

    def _listened(self) -> bool:  # any thread: a set's length is read atomically
        return bool(self._queues)

    def _from_store(self, event: StoreEvent) -> None:  # any thread
        if self._batch is not None:
            self._batch.put(event)

    def _publish(self, events: list[StoreEvent]) -> None:
        for event in events:
            self._fan_out(event)
        if self._changed is not None:  # wake every waiter, then arm a fresh event
            self._changed.set()
            self._changed = asyncio.Event()

    def _fan_out(self, event: StoreEvent) -> None:
        if event.kind == "delete":
            self.deleted += len(event.ids)
        if event.kind == "new" and event.summary is None and self._queues:
            event = StoreEvent("reset", remote=True)  # see the module's docstring
        for queue in list(self._queues):
            if queue.qsize() >= QUEUE_LIMIT:
                log.warning("dropping a live-events client that is %d events behind", QUEUE_LIMIT)
                self._queues.discard(queue)
                queue.put_nowait(None)
            else:
                queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def listen(self) -> AsyncIterator[asyncio.Queue[StoreEvent | None]]:
        """A queue receiving every event from now on (None: the hub is closing)."""
        queue: asyncio.Queue[StoreEvent | None] = asyncio.Queue()
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    def next_change(self) -> asyncio.Event:
        """An event set by the next change. Take it before reading the store, then wait on it
        with `changed`: a change between the read and the wait is not missed."""
        if self._changed is None:
            raise RuntimeError("EventHub.start() was not called (is the app's lifespan on?)")
        return self._changed

    async def changed(self, timeout: float, change: asyncio.Event) -> bool:
        """Wait for `change` (from `next_change`); False if `timeout` seconds pass first."""
        try:
            await asyncio.wait_for(change.wait(), timeout)
        except TimeoutError:
            return False
        return True
