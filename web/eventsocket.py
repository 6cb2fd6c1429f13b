"""The loop both event WebSockets share (`/api/events`, Mailpit's; `/api/v2/websocket`,
MailHog's): refuse other origins, follow the hub, send what each event becomes, and end quietly
when either side closes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from fastapi import WebSocket, WebSocketDisconnect

from mailtrap.storage.base import StoreEvent
from mailtrap.web.hub import EventHub
from mailtrap.web.origin import origin_allowed

__all__ = ["follow"]

# Called for each event, with whether it ends a burst (no other event is waiting).
Send = Callable[[StoreEvent, bool], Awaitable[None]]


async def follow(
    websocket: WebSocket,
    hub: EventHub,
    api_cors: tuple[str, ...],
    send: Send,
    greet: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Serve `websocket` until it or the server closes: `greet()` once accepted, then
    `send(event, burst_ended)` for every store event. A browser page from an origin that
    `api_cors` does not name is refused (1008) before the handshake completes."""
    if not origin_allowed(websocket.headers, api_cors):
        await websocket.close(code=1008, reason="cross-origin WebSocket refused")
        return
    async with hub.listen() as queue:
        await websocket.accept()  # once subscribed: no event after the handshake is missed
        # Clients send nothing, but reading is how a close (theirs, or uvicorn's at shutdown)
        # is noticed while no event is due.
        reader = asyncio.create_task(_until_closed(websocket, queue))
        try:
            if greet is not None:
                await greet()
            while (event := await queue.get()) is not None:
                await send(event, queue.empty())
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
