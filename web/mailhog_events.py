"""MailHog's live events: each new message, in MailHog's shape, as it arrives.

- `GET /api/v1/events`: Server-Sent Events. A new message is one `message` event whose data
  is the message's JSON, indented as MailHog sends it; a comment every `KEEPALIVE` seconds
  keeps idle proxies from closing the stream (MailHog sent a `keepalive:` line a minute).
- `/api/v2/websocket`: a WebSocket; each new message is one text frame of its JSON.

Only new messages are sent, as in MailHog (deletions are not). Each message is read and shaped
on a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, WebSocket
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from mailtrap.errors import MessageNotFound
from mailtrap.storage.base import StoreEvent
from mailtrap.web.deps import Hub, Options
from mailtrap.web.eventsocket import follow
from mailtrap.web.hub import EventHub
from mailtrap.web.mailhog_shape import mailhog_json

router = APIRouter(tags=["mailhog"])

KEEPALIVE = 30.0  # seconds


async def _shaped(hub: EventHub, event: StoreEvent) -> dict[str, Any] | None:
    """The new message of `event` in MailHog's shape; None for any other event, or for a
    message deleted before it could be read."""
    if event.kind != "new" or event.summary is None:
        return None
    try:
        stored = await run_in_threadpool(hub.store.stored, event.summary.id)
    except MessageNotFound:
        return None
    return await run_in_threadpool(mailhog_json, stored)


@router.get(
    "/api/v1/events",
    summary="MailHog: new messages as Server-Sent Events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(hub: Hub) -> StreamingResponse:
    async def stream() -> AsyncIterator[str]:
        async with hub.listen() as queue:
            # Sent once subscribed: the headers go out at once, and a client that has read it
            # is sure to get every message from then on.
            yield ": mailtrap speaks MailHog's event stream\n\n"
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if event is None:  # the hub is closing
                    return
                if (message := await _shaped(hub, event)) is not None:
                    lines = json.dumps(message, indent=2, ensure_ascii=False).split("\n")
                    yield "".join(f"data: {line}\n" for line in lines) + "\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.websocket("/api/v2/websocket")
async def websocket(websocket: WebSocket, hub: Hub, options: Options) -> None:
    """Each new message as one JSON text frame. Browsers from other origins are refused."""

    async def send(event: StoreEvent, _burst_ended: bool) -> None:  # one frame a message
        if (message := await _shaped(hub, event)) is not None:
            await websocket.send_text(json.dumps(message, ensure_ascii=False))

    await follow(websocket, hub, options.api_cors, send)
