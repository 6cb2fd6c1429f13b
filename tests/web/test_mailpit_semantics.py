"""What Mailpit's answers mean, beyond their shape: reading marks read, HTML-only Text."""

from __future__ import annotations

import json
import time

import httpx
from inprocess import InProcess
from liveserver import LiveServer
from mailfactory import deliver
from websockets.sync.client import connect

from mailtrap import Envelope, MessageStore

Live = tuple[InProcess, httpx.Client]
Served = tuple[LiveServer, httpx.Client]


def test_getting_a_message_marks_it_read_and_the_inbox_hears_it(
    served: Served, store: MessageStore
) -> None:
    server, http = served
    summary = deliver(store, subject="open me")
    other = deliver(store, subject="leave me")
    with connect(server.url.replace("http://", "ws://") + "/api/events") as ws:
        json.loads(ws.recv(timeout=10))  # the first stats
        assert http.get(f"/api/v1/message/{summary.id}").status_code == 200
        deadline = time.monotonic() + 10
        while (event := json.loads(ws.recv(timeout=deadline - time.monotonic())))["Type"] != (
            "update"
        ):
            pass
    assert event["Data"] == {"ID": summary.id, "Read": True}
    assert store.get(summary.id).read is True
    assert store.get(other.id).read is False
    page = http.get("/api/v1/messages").json()
    assert (page["unread"], [m["Read"] for m in page["messages"]]) == (1, [False, True])


def test_latest_marks_the_newest_read_and_reading_again_changes_nothing(
    live: Live, store: MessageStore
) -> None:
    _, http = live
    old, new = deliver(store, subject="old"), deliver(store, subject="new")
    assert http.get("/api/v1/message/latest").json()["ID"] == new.id
    assert (store.get(new.id).read, store.get(old.id).read) == (True, False)
    changes: list[object] = []
    unsubscribe = store.subscribe(changes.append)
    try:
        http.get(f"/api/v1/message/{new.id}")  # already read: no write, no event
    finally:
        unsubscribe()
    assert changes == []


def test_the_stored_form_and_the_other_routes_do_not_mark_read(
    live: Live, store: MessageStore
) -> None:
    _, http = live
    summary = deliver(store, subject="peek")
    for path in ("stored", "headers", "raw"):
        assert http.get(f"/api/v1/message/{summary.id}/{path}").status_code == 200
    assert store.get(summary.id).read is False


def test_text_of_an_html_only_message_is_the_text_of_its_html(
    live: Live, store: MessageStore
) -> None:
    _, http = live
    raw = (
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: html only\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{color:red}</style></head><body><p>Your code is"
        b" <b>424242</b></p><p>Caf&eacute;</p></body></html>"
    )
    id = store.add(raw, Envelope("a@example.com", ("b@example.com",))).id
    body = http.get(f"/api/v1/message/{id}").json()
    assert "<b>424242</b>" in body["HTML"]
    assert body["Text"] == "Your code is 424242\nCafé"
    plain = deliver(store, subject="with text")  # a real text part stays as it is
    assert http.get(f"/api/v1/message/{plain.id}").json()["Text"] == store.get(plain.id).text
