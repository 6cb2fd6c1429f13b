"""Live events: the store's changes, carried onto the event loop for WebSockets and waiters.

The store calls its subscribers on whatever thread committed the change (the SQLite writer,
a request thread). `EventHub` hops them onto the loop, one wake-up per burst (a group commit
of 20 messages is 20 events), then fans each out to every WebSocket's queue and wakes every
long-poll waiter there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from mailtrap._bridge import LoopBatch
from mailtrap._version import __version__
from mailtrap.storage.base import MessageStore, StoreEvent
from mailtrap.web.origin import origin_allowed
from mailtrap.web.schemas import summary_out

log = logging.getLogger("mailtrap.web")
router = APIRouter(tags=["events"])

QUEUE_LIMIT = 10_000
PRUNE_THRESHOLD = 200  # a client this far behind is dropped; it can reload


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
        self._unsubscribe = self.store.subscribe(self._from_store)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for queue in list(self._queues):
            queue.put_nowait(None)  # tells each socket to close

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


def stats_event(store: MessageStore) -> dict[str, Any]:
    return {
        "Type": "stats",
        "Data": {
            "Total": store.count(),
            "Unread": store.count(unread=True),
            "Version": __version__,
        },
    }


def event_messages(event: StoreEvent) -> list[dict[str, Any]]:
    """The Mailpit-shaped WebSocket messages for one store event."""
    if event.kind == "new" and event.summary is not None:
        return [{"Type": "new", "Data": summary_out(event.summary).model_dump(mode="json")}]
    if event.kind == "delete":
        if event.all:
            return [{"Type": "truncate", "Data": None}]
        if len(event.ids) > PRUNE_THRESHOLD:  # as Mailpit: one "reload" rather than a flood
            return [{"Type": "prune", "Data": None}]
        return [{"Type": "delete", "Data": {"ID": id}} for id in event.ids]
    if event.kind == "update":
        data: dict[str, Any] = {}
        if event.read is not None:
            data["Read"] = event.read
        if event.tags is not None:
            data["Tags"] = list(event.tags)
        return [{"Type": "update", "Data": {"ID": id, **data}} for id in event.ids]
    return []


@router.websocket("/api/events")
async def events(websocket: WebSocket) -> None:
    """Every change as `{Type, Data}`: `new` (a summary), `update` ({ID, Read} or {ID, Tags}),
    `delete` ({ID}; `prune` with no data for more than 200 at once), `truncate` (all
    deleted) and `stats` ({Total, Unread, Version}) after
    each burst. Browsers from other origins are refused."""
    if not origin_allowed(websocket.headers, websocket.app.state.settings):
        await websocket.close(code=1008, reason="cross-origin WebSocket refused")
        return
    hub: EventHub = websocket.app.state.events
    store = hub.store
    await websocket.accept()
    async with hub.listen() as queue:
        # Clients send nothing, but reading is how a close (theirs, or uvicorn's at shutdown)
        # is noticed while no event is due.
        reader = asyncio.create_task(_until_closed(websocket, queue))
        try:
            await websocket.send_json(stats_event(store))
            while (event := await queue.get()) is not None:
                for message in event_messages(event):
                    await websocket.send_json(message)
                if queue.empty():  # one stats message per burst, not per event
                    await websocket.send_json(stats_event(store))
        except (WebSocketDisconnect, RuntimeError, OSError):  # closed while sending
            return
        finally:
            reader.cancel()
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):  # client already gone
        await websocket.close()


async def _until_closed(websocket: WebSocket, queue: asyncio.Queue[StoreEvent | None]) -> None:
    try:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    finally:
        queue.put_nowait(None)
