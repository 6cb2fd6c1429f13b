"""A full parse happens on demand, once per request at most (issue 14 §4).

Each test counts the MIME parses (`parsing._parse`, which every full parse runs) while it
drives the real interface: the web app over HTTP, a `Mailbox` fed over SMTP, `Client.get`.
"""

from __future__ import annotations

import base64
import re
import smtplib
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from inprocess import InProcess
from liveserver import LiveServer
from mailfactory import build_mail

from mailtrap import (
    Client,
    Envelope,
    Mailbox,
    MemoryStore,
    MessageNotFound,
    MessageStore,
    SMTPServer,
)
from mailtrap.message import mime, parsing
from mailtrap.web.parsed import ParsedCache

Live = tuple[InProcess, httpx.Client]
Served = tuple[LiveServer, httpx.Client]
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def related_mail() -> bytes:
    """HTML with two `cid:` images and a PDF attachment: a page, a frame and three parts."""
    png = base64.b64encode(PNG)
    return (
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: images\r\n"
        b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
        b'--m\r\nContent-Type: multipart/related; boundary="r"\r\n\r\n'
        b'--r\r\nContent-Type: text/html\r\n\r\n<img src="cid:one@x"><img src="cid:two@x">\r\n'
        b"--r\r\nContent-Type: image/png\r\nContent-ID: <one@x>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + png + b"\r\n"
        b"--r\r\nContent-Type: image/png\r\nContent-ID: <two@x>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + png + b"\r\n--r--\r\n"
        b"--m\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="a.pdf"\r\n\r\n%PDF-1.4\r\n--m--\r\n'
    )


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many MIME parses have run since the fixture was set up."""
    calls = [0]
    real = parsing._parse

    def counting(raw: bytes, defects: list[str]) -> Any:
        calls[0] += 1
        return real(raw, defects)

    monkeypatch.setattr(parsing, "_parse", counting)
    return lambda: calls[0]


def open_message(http: httpx.Client, id: str) -> None:
    """What a browser and an API client fetch for one message: every route that needs it."""
    for path in ("", "/html", "/part/1.2", "/part/1.3"):
        assert http.get(f"/view/{id}{path}").status_code == 200, path
    for path in ("", "/headers", "/part/2", "/part/1.2"):
        assert http.get(f"/api/v1/message/{id}{path}").status_code == 200, path


def test_a_message_is_parsed_once_for_its_page_frame_images_and_api(
    live: Live, store: MessageStore, parses: Callable[[], int]
) -> None:
    _, http = live
    raw = related_mail()
    id = store.add(raw, Envelope("a@example.com", ("b@example.com",))).id
    before = parses()
    open_message(http, id)
    open_message(http, id)
    assert parses() - before == 1


def test_the_cache_shows_read_state_and_tags_as_they_are_now(
    live: Live, store: MessageStore, parses: Callable[[], int]
) -> None:
    _, http = live
    id = store.add(related_mail(), Envelope("a@example.com", ("b@example.com",))).id
    assert http.get(f"/api/v1/message/{id}").json()["Tags"] == []
    store.mark_read([id], read=False)
    store.set_tags([id], ["later"])
    assert http.get(f"/api/v1/message/{id}").json()["Tags"] == ["later"]
    assert store.get(id).read is True  # the cached parse's read state did not hide this read
    assert "later" in http.get(f"/view/{id}").text
    store.delete([id])
    assert http.get(f"/api/v1/message/{id}").status_code == 404
    assert http.get(f"/view/{id}/part/1.2").status_code == 404


def test_the_cache_is_bounded_by_count_and_by_bytes(parses: Callable[[], int]) -> None:
    store = MemoryStore()
    ids = [
        store.add(related_mail(), Envelope("a@example.com", ("b@example.com",))).id
        for _ in range(3)
    ]
    cache = ParsedCache(max_messages=2)
    for id in ids:
        cache.message(store, id)
    assert len(cache) == 2
    before = parses()
    cache.message(store, ids[2])  # kept
    cache.message(store, ids[0])  # the least recently used: dropped, so parsed again
    assert parses() - before == 1

    small = ParsedCache(max_bytes=len(related_mail()))  # less than one parse holds
    small.message(store, ids[0])
    small.message(store, ids[0])
    assert len(small) == 0
    assert parses() - before == 3
    with pytest.raises(ValueError, match="max_messages and max_bytes must be 1 or more"):
        ParsedCache(max_messages=0)


def test_an_attachment_is_decoded_once_for_its_size_and_checksums(
    live: Live, store: MessageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, http = live
    id = store.add(related_mail(), Envelope("a@example.com", ("b@example.com",))).id
    decoded: list[str] = []
    real = mime._part_bytes

    def counting(part: Any) -> bytes:
        decoded.append(part.get_content_type())
        return real(part)

    monkeypatch.setattr(mime, "_part_bytes", counting)
    body = http.get(f"/api/v1/message/{id}").json()
    assert body["Attachments"][0]["Checksums"]["SHA256"]
    assert [a["Size"] for a in body["Inline"]] == [len(PNG), len(PNG)]
    assert sorted(decoded) == ["application/pdf", "image/png", "image/png"]


def test_a_mailbox_parses_only_the_mail_its_filters_cannot_rule_out(
    parses: Callable[[], int],
) -> None:
    store = MemoryStore()
    with SMTPServer(store, port=0) as server:
        box = Mailbox(store, host=server.host, port=server.port)
        mine = box.address("me")
        with smtplib.SMTP(server.host, server.port) as smtp:
            for i in range(10):
                noise = build_mail(subject=f"noise {i}", to="other@example.com", html="<p>x</p>")
                smtp.sendmail("app@example.com", ["other@example.com"], noise)
            smtp.sendmail("app@example.com", [mine], build_mail(subject="for me", to=mine))
        deadline = time.monotonic() + 10
        while store.count() < 11 and time.monotonic() < deadline:
            time.sleep(0.01)
        before = parses()  # multipart mail is MIME-parsed once at ingest; count from here
        assert box.wait_for(to=mine, timeout=5).subject == "for me"
        box.assert_no_message(within=0, to="nobody@example.com")
        box.assert_no_message(within=0, sender="nobody@example.com")
        box.assert_no_message(within=0, subject=re.compile("^nothing"))
        assert box.wait_for(subject="for me", timeout=5).to[0].address == mine
        assert parses() - before == 1
        assert len(box.messages) == 11  # unfiltered, every message is still there
        box.close()


def test_client_get_is_one_request_and_one_parse(
    served: Served, store: MessageStore, parses: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _ = served
    client = Client(server.url)
    raw = related_mail()
    summary = store.add(raw, Envelope("a@example.com", ("b@example.com", "hidden@example.com")))
    requests: list[str] = []
    real = Client._request

    def counting(self: Client, method: str, path: str, **kwargs: Any) -> bytes:
        requests.append(f"{method} {path}")
        return real(self, method, path, **kwargs)

    monkeypatch.setattr(Client, "_request", counting)
    before = parses()  # the server and this client run in one process: both are counted
    message = client.get(summary.id)
    assert (len(requests), parses() - before) == (1, 1)
    assert message == store.get(summary.id)
    assert message.raw == raw
    assert message.inline[0].data == PNG
    assert client.get().id == summary.id  # latest
    with pytest.raises(MessageNotFound, match="missing"):
        client.get("missing")
