"""Live events over a WebSocket (`/api/events`), in Mailpit's shape, fed by the `EventHub`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket

from mailtrap._version import __version__
from mailtrap.storage.base import MessageStore, StoreEvent
from mailtrap.web.deps import Hub, Options
from mailtrap.web.eventsocket import follow
from mailtrap.web.schemas import summary_out

router = APIRouter(tags=["events"])

# Changes in one event beyond which clients get one "prune" (Mailpit's "reload the list")
# rather than a frame per message: marking 100,000 read was 100,000 frames, about 30 s of
# sending for every open inbox.
PRUNE_THRESHOLD = 200


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
    if event.kind == "delete" and event.all:
        return [{"Type": "truncate", "Data": None}]
    if event.kind == "reset" or len(event.ids) > PRUNE_THRESHOLD:
        # As Mailpit: one "reload" rather than a flood. A reset (changes by another instance
        # sharing the store may have been missed) asks for the same reload.
        return [{"Type": "prune", "Data": None}]
    if event.kind == "delete":
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
async def events(websocket: WebSocket, hub: Hub, options: Options) -> None:
    """Every change as `{Type, Data}`: `new` (a summary), `update` ({ID, Read} or {ID, Tags}),
    `delete` ({ID}), `prune` (no data: more than 200 changed or deleted at once, or changes
    made by another instance sharing the store may have been missed, so reload),
    `truncate` (all deleted) and `stats` ({Total, Unread, Version}) after each burst.
    Browsers from other origins are refused."""
    store = hub.store

    async def send(event: StoreEvent, burst_ended: bool) -> None:
        for message in event_messages(event):
            await websocket.send_json(message)
        if burst_ended:  # one stats message per burst, not per event
            await websocket.send_json(stats_event(store))

    await follow(
        websocket,
        hub,
        options.api_cors,
        send,
        greet=lambda: websocket.send_json(stats_event(store)),
    )
