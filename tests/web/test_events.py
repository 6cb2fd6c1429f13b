"""Live events over a real WebSocket (uvicorn), and the long-poll wait (in-process), in both
stores."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from inprocess import InProcess
from liveserver import LiveServer
from mailfactory import deliver
from polling import until
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from mailtrap import MemoryStore, MessageStore, StoreEvent
from mailtrap.storage.base import Subscriber, Wanted
from mailtrap.web import create_app

Live = tuple[InProcess, httpx.Client]
Served = tuple[LiveServer, httpx.Client]


def ws_url(server: LiveServer) -> str:
    return server.url.replace("http://", "ws://") + "/api/events"


def next_of(ws: ClientConnection, kind: str, timeout: float = 10) -> dict[str, Any]:
    """The next event of type `kind`, skipping others (stats arrive between events)."""
    deadline = time.monotonic() + timeout
    while True:
        event = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if event["Type"] == kind:
            return event  # type: ignore[no-any-return]


def test_events_follow_every_change(served: Served, store: MessageStore) -> None:
    server, _ = served
    with connect(ws_url(server)) as ws:
        first = json.loads(ws.recv(timeout=10))
        assert first == {
            "Type": "stats",
            "Data": {"Total": 0, "Unread": 0, "Version": first["Data"]["Version"]},
        }
        summary = deliver(store, subject="live one")
        new = next_of(ws, "new")
        assert new["Data"]["ID"] == summary.id
        assert new["Data"]["Subject"] == "live one"
        assert next_of(ws, "stats")["Data"]["Total"] == 1
        store.mark_read([summary.id])
        assert next_of(ws, "update")["Data"] == {"ID": summary.id, "Read": True}
        store.set_tags([summary.id], ["t"])
        assert next_of(ws, "update")["Data"] == {"ID": summary.id, "Tags": ["t"]}
        store.delete([summary.id])
        assert next_of(ws, "delete")["Data"] == {"ID": summary.id}
        deliver(store)
        store.delete_all()
        assert next_of(ws, "truncate")["Data"] is None
        assert next_of(ws, "stats")["Data"]["Total"] == 0


def frames_until_stats(ws: ClientConnection) -> list[str]:
    """The types of the frames up to and including the next `stats`."""
    types: list[str] = []
    while not types or types[-1] != "stats":
        types.append(json.loads(ws.recv(timeout=10))["Type"])
    return types


def test_a_bulk_change_is_one_prune_not_a_frame_per_message(
    served: Served, store: MessageStore
) -> None:
    """Marking or deleting more than 200 at once sends one `prune` (reload), as Mailpit does,
    instead of a frame per message; 200 or fewer still go one by one."""
    server, _ = served
    ids = [deliver(store, subject=f"bulk {n}").id for n in range(201)]
    with connect(ws_url(server)) as ws:
        assert frames_until_stats(ws) == ["stats"]
        store.mark_read(ids)
        assert frames_until_stats(ws) == ["prune", "stats"]
        store.mark_read(ids[:200], read=False)
        assert frames_until_stats(ws) == ["update"] * 200 + ["stats"]
        store.set_tags(ids, ["bulk"])
        assert frames_until_stats(ws) == ["prune", "stats"]
        store.delete(ids)
        assert frames_until_stats(ws) == ["prune", "stats"]


class _SharedMemory(MemoryStore):
    """A memory store through which the test plays another instance sharing it: it hands the
    test each subscriber, to deliver what that instance's mail looks like."""

    def __init__(self) -> None:
        super().__init__()
        self.subscribed: list[tuple[Subscriber, Wanted]] = []

    def subscribe(self, callback: Subscriber, *, summaries: Wanted = True) -> Callable[[], None]:
        self.subscribed.append((callback, summaries))
        return super().subscribe(callback, summaries=summaries)


def test_the_hub_wants_summaries_only_while_a_socket_listens_and_a_late_one_reloads() -> None:
    store = _SharedMemory()
    with LiveServer(create_app(store)) as server:
        # The hub decides as it goes; every other subscriber of the app wants none at all.
        [(hub, wants)] = [(s, w) for s, w in store.subscribed if w is not False]
        assert callable(wants)
        assert not wants()  # long-poll waiters need only the wake-up
        with connect(ws_url(server)) as ws:
            assert json.loads(ws.recv(timeout=10))["Type"] == "stats"
            assert wants()
            # Another instance's mail, sent without summaries just before this socket joined:
            # the socket is told to reload rather than miss it.
            hub(StoreEvent("new", ("a" * 22, "b" * 22), remote=True))
            assert next_of(ws, "prune")["Data"] is None
        assert until(lambda: not wants(), seconds=5)
    store.close()


def test_a_foreign_origin_is_refused_but_the_own_origin_and_tools_are_not(
    served: Served,
) -> None:
    server, _ = served
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(server), origin="https://evil.example")  # type: ignore[call-overload]
    assert refused.value.response.status_code == 403
    with connect(ws_url(server), origin=server.url) as ws:  # type: ignore[call-overload]
        assert json.loads(ws.recv(timeout=10))["Type"] == "stats"


def test_wait_answers_at_once_when_enough_mail_is_there(live: Live, store: MessageStore) -> None:
    _, http = live
    deliver(store, subject="reset your password")
    body = http.get("/api/v1/wait", params={"query": "reset", "timeout": 5}).json()
    assert [m["Subject"] for m in body["messages"]] == ["reset your password"]


def test_wait_returns_as_soon_as_the_mail_arrives(live: Live, store: MessageStore) -> None:
    _, http = live
    timer = threading.Timer(0.3, lambda: [deliver(store, subject=f"code {i}") for i in range(2)])
    started = time.monotonic()
    timer.start()
    try:
        body = http.get(
            "/api/v1/wait", params={"query": "subject:code", "count": 2, "timeout": 20}, timeout=30
        ).json()
    finally:
        timer.join()
    assert time.monotonic() - started < 10
    assert sorted(m["Subject"] for m in body["messages"]) == ["code 0", "code 1"]
    assert body["messages_count"] == 2


def test_wait_times_out_with_408_and_a_reason(live: Live, store: MessageStore) -> None:
    _, http = live
    deliver(store, subject="unrelated")
    response = http.get("/api/v1/wait", params={"query": "invoice", "timeout": 0.3})
    assert response.status_code == 408
    assert "0 of 1 wanted messages matched 'invoice'" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"query": "is:bogus"}, 400),
        ({"timeout": 0}, 422),
        ({"timeout": 301}, 422),
        ({"count": 0}, 422),
    ],
)
def test_wait_rejects_bad_arguments(live: Live, params: dict[str, Any], status: int) -> None:
    _, http = live
    assert http.get("/api/v1/wait", params=params).status_code == status
