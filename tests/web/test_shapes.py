"""Every Mailpit-shaped answer has exactly Mailpit's fields: none missing, none extra.

The expected shapes below are written from Mailpit v1.30.5's Go structs (not from ours):
internal/storage/structs.go (Message, MessageSummary, Attachment, ListUnsubscribe),
server/apiv1/messages.go (MessagesSummary), internal/stats/stats.go (AppInformation),
internal/smtpd/chaos/chaos.go (Triggers), server/apiv1/send.go (the `{ID}` answer). Typed
clients compare whole objects, so one extra key breaks them as surely as a missing one.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from inprocess import InProcess
from liveserver import LiveServer
from mailfactory import build_mail, envelope_for
from websockets.sync.client import connect

from mailtrap import Envelope, MemoryStore, MessageStore
from mailtrap.smtp.chaos import Chaos
from mailtrap.web import create_app

Live = tuple[InProcess, httpx.Client]
Served = tuple[LiveServer, httpx.Client]

# A shape: a set of keys (an object whose values are not checked further), or a dict from key
# to the shape of its value; a one-element list is "a list of that shape".
Shape = Any

ADDRESS = {"Name": None, "Address": None}  # net/mail.Address
ADDRESSES = [ADDRESS]
SUMMARY = {  # storage.MessageSummary
    "ID": None,
    "MessageID": None,
    "Read": None,
    "From": ADDRESS,
    "To": ADDRESSES,
    "Cc": ADDRESSES,
    "Bcc": ADDRESSES,
    "ReplyTo": ADDRESSES,
    "Subject": None,
    "Created": None,
    "Username": None,
    "Tags": None,
    "Size": None,
    "Attachments": None,
    "Snippet": None,
}
PAGE = {  # apiv1.MessagesSummary
    "total": None,
    "unread": None,
    "count": None,
    "messages_count": None,
    "messages_unread": None,
    "start": None,
    "tags": None,
    "messages": [SUMMARY],
}
ATTACHMENT = {  # storage.Attachment
    "PartID": None,
    "FileName": None,
    "ContentType": None,
    "ContentID": None,
    "Size": None,
    "Checksums": {"MD5": None, "SHA1": None, "SHA256": None},
}
MESSAGE = {  # storage.Message
    "ID": None,
    "MessageID": None,
    "From": ADDRESS,
    "To": ADDRESSES,
    "Cc": ADDRESSES,
    "Bcc": ADDRESSES,
    "ReplyTo": ADDRESSES,
    "ReturnPath": None,
    "Subject": None,
    "ListUnsubscribe": {"Header": None, "Links": None, "Errors": None, "HeaderPost": None},
    "Date": None,
    "Tags": None,
    "Username": None,
    "Text": None,
    "HTML": None,
    "Size": None,
    "Inline": [ATTACHMENT],
    "Attachments": [ATTACHMENT],
}
INFO = {  # stats.AppInformation
    "Version": None,
    "LatestVersion": None,
    "Database": None,
    "DatabaseSize": None,
    "Messages": None,
    "Unread": None,
    "Tags": None,
    "RuntimeStats": {
        "Uptime": None,
        "Memory": None,
        "MessagesDeleted": None,
        "SMTPAccepted": None,
        "SMTPAcceptedSize": None,
        "SMTPRejected": None,
        "SMTPIgnored": None,
    },
}
TRIGGER = {"ErrorCode": None, "Probability": None}  # chaos.Trigger
CHAOS = {"Sender": TRIGGER, "Recipient": TRIGGER, "Authentication": TRIGGER}  # chaos.Triggers
SEND = {"ID": None}


def assert_shape(value: Any, shape: Shape, where: str = "answer") -> None:
    """`value` has exactly the keys of `shape`, recursively; lists are checked item by item
    (an empty list checks nothing, so the data below makes every list non-empty)."""
    if isinstance(shape, dict):
        assert isinstance(value, dict), f"{where} is {value!r}, not an object"
        assert set(value) == set(shape), (
            f"{where}: extra {sorted(set(value) - set(shape))}, "
            f"missing {sorted(set(shape) - set(value))}"
        )
        for key, inner in shape.items():
            if inner is not None:
                assert_shape(value[key], inner, f"{where}.{key}")
    elif isinstance(shape, list):
        assert isinstance(value, list), f"{where} is {value!r}, not a list"
        assert value, f"{where} is an empty list"
        for index, item in enumerate(value):
            assert_shape(item, shape[0], f"{where}[{index}]")


def full_mail() -> bytes:
    """A message with To, Cc, Bcc (by envelope), Reply-To, tags and an attachment; its
    Inline list is empty (parts with a Content-ID come through /send, in `sent`)."""
    return build_mail(
        subject="every field",
        to="Bob <bob@example.com>",
        html="<p>hi</p>",
        headers={
            "Cc": "Carol <carol@example.com>",
            "Reply-To": "help@example.com",
            "X-Tags": "alpha",
            "List-Unsubscribe": "<https://x.example/u>",
        },
        attachments=(("r.pdf", "application/pdf", b"%PDF-1.4"),),
    )


def add_full(store: MessageStore) -> str:
    """`full_mail()`, delivered to one more recipient than its header fields name (a Bcc)."""
    raw = full_mail()
    envelope = envelope_for(raw)
    envelope = Envelope(envelope.mail_from, (*envelope.rcpt_tos, "hidden@example.com"))
    return store.add(raw, envelope).id


@pytest.fixture
def full(store: MessageStore) -> str:
    return add_full(store)


@pytest.fixture
def sent(live: Live) -> str:
    """A message with an inline part and an attachment, through /api/v1/send."""
    _, http = live
    answer = http.post(
        "/api/v1/send",
        json={
            "From": {"Email": "app@example.com", "Name": "App"},
            "To": [{"Email": "user@example.com"}],
            "Cc": [{"Email": "cc@example.com"}],
            "Bcc": ["hidden@example.com"],
            "ReplyTo": [{"Email": "help@example.com"}],
            "Subject": "sent",
            "HTML": '<p><img src="cid:logo"></p>',
            "Attachments": [
                {"Content": base64.b64encode(b"%PDF").decode(), "Filename": "a.pdf"},
                {
                    "Content": base64.b64encode(b"PNG").decode(),
                    "Filename": "l.png",
                    "ContentID": "logo",
                },
            ],
            "Tags": ["t"],
        },
    )
    assert answer.status_code == 200, answer.text
    assert_shape(answer.json(), SEND)
    return str(answer.json()["ID"])


def test_list_and_search_pages(live: Live, full: str) -> None:
    _, http = live
    assert_shape(http.get("/api/v1/messages").json(), PAGE)
    assert_shape(http.get("/api/v1/search", params={"query": "every"}).json(), PAGE)
    assert full


def test_message_with_every_list_filled(live: Live, sent: str) -> None:
    _, http = live
    body = http.get(f"/api/v1/message/{sent}").json()
    assert_shape(body, MESSAGE)
    assert (len(body["Inline"]), len(body["Attachments"])) == (1, 1)


def test_message_from_smtp(live: Live, full: str) -> None:
    _, http = live
    body = http.get(f"/api/v1/message/{full}").json()
    assert_shape({**body, "Inline": [ATTACHMENT]}, {**MESSAGE, "Inline": None})


def test_info(live: Live, full: str) -> None:
    _, http = live
    assert full
    assert_shape(http.get("/api/v1/info").json(), INFO)


def test_headers_are_names_to_lists_of_strings(live: Live, sent: str) -> None:
    _, http = live
    headers = http.get(f"/api/v1/message/{sent}/headers").json()
    assert all(isinstance(v, list) and all(isinstance(s, str) for s in v) for v in headers.values())
    # What Mailpit's stored copy of a /send message carries, Bcc and Return-Path included.
    assert {"Bcc", "Cc", "Date", "From", "Message-Id", "Reply-To", "Subject", "To"} <= set(headers)
    assert headers["Bcc"] == ["hidden@example.com"]
    assert headers["Return-Path"] == ["<app@example.com>"]


def test_a_new_message_event_carries_a_summary(served: Served, store: MessageStore) -> None:
    server, _ = served
    with connect(server.url.replace("http://", "ws://") + "/api/events") as ws:
        json.loads(ws.recv(timeout=10))  # the first stats
        add_full(store)
        while (event := json.loads(ws.recv(timeout=10)))["Type"] != "new":
            pass
    assert_shape(event["Data"], SUMMARY)


def test_from_is_never_null(live: Live, store: MessageStore) -> None:
    _, http = live
    id = store.add(b"Subject: no sender\r\n\r\nbody", Envelope("", ("b@example.com",))).id
    nobody = {"Name": "", "Address": ""}
    assert http.get("/api/v1/messages").json()["messages"][0]["From"] == nobody
    assert http.get(f"/api/v1/message/{id}").json()["From"] == nobody


# -- mailtrap's additions, when asked for -------------------------------------------------


def test_extras_add_mailtraps_fields_only_when_asked(live: Live, full: str) -> None:
    _, http = live
    page = http.get("/api/v1/messages", params={"extras": 1}).json()
    assert_shape(page, {**PAGE, "messages": [{**SUMMARY, "ReturnPath": None, "Date": None}]})
    found = http.get("/api/v1/search", params={"query": "every", "extras": "true"}).json()
    assert found["messages"][0]["ReturnPath"] == "alice@example.com"
    message = http.get(f"/api/v1/message/{full}", params={"extras": 1}).json()
    envelope = {
        "MailFrom": None,
        "RcptTo": None,
        "Peer": None,
        "Helo": None,
        "TLS": None,
        "Login": None,
    }
    extras = {"Created": None, "Snippet": None, "Envelope": envelope}
    assert_shape({**message, "Inline": [ATTACHMENT]}, {**MESSAGE, "Inline": None, **extras})
    assert "hidden@example.com" in message["Envelope"]["RcptTo"]
    info = http.get("/api/v1/info", params={"extras": 1}).json()
    assert_shape(info, {**INFO, "ServerTime": None, "Instance": None})
    assert info["Instance"] is None  # a store of this process alone


@pytest.fixture
def with_chaos() -> Iterator[httpx.Client]:
    app = create_app(MemoryStore(), chaos=Chaos())
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        yield http


def test_chaos(with_chaos: httpx.Client) -> None:
    http = with_chaos
    assert_shape(http.get("/api/v1/chaos").json(), CHAOS)
    body = {"Recipient": {"ErrorCode": 450, "Probability": 10}}
    assert_shape(http.put("/api/v1/chaos", json=body).json(), CHAOS)
    assert_shape(http.get("/api/v1/chaos", params={"extras": 1}).json(), {**CHAOS, "Rules": None})
