"""The minimal v1 API: Mailpit's shapes for listing and reading messages, in both stores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from mailfactory import build_mail, deliver, envelope_for
from mailtrap.web import create_app

from mailtrap import MessageStore

SUMMARY_KEYS = {
    "ID",
    "MessageID",
    "Read",
    "From",
    "To",
    "Cc",
    "Bcc",
    "ReplyTo",
    "Subject",
    "Created",
    "Username",
    "Tags",
    "Size",
    "Attachments",
    "Snippet",
}
MESSAGE_KEYS = {
    "ID",
    "MessageID",
    "From",
    "To",
    "Cc",
    "Bcc",
    "ReplyTo",
    "ReturnPath",
    "Subject",
    "Date",
    "Tags",
    "Username",
    "Text",
    "HTML",
    "Size",
    "Inline",
    "Attachments",
}


@pytest.fixture
def client(store: MessageStore) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as c:
        yield c


def test_list_has_mailpit_shape_and_never_bodies(client: TestClient, store: MessageStore) -> None:
    deliver(store, "audit@example.com", subject="first", headers={"X-Tags": "b, a"})
    raw = build_mail(
        subject="second",
        html="<p>x</p>",
        to="Bob <bob@example.com>",
        attachments=(("r.pdf", "application/pdf", b"%PDF"),),
    )
    store.add(raw, envelope_for(raw))
    body = client.get("/api/v1/messages", params={"limit": 1}).json()
    assert set(body) == {
        "total",
        "unread",
        "count",
        "messages_count",
        "messages_unread",
        "start",
        "tags",
        "messages",
    }
    assert (body["total"], body["unread"], body["count"], body["start"]) == (2, 2, 1, 0)
    assert body["tags"] == ["a", "b"]
    [summary] = body["messages"]
    assert set(summary) == SUMMARY_KEYS
    assert summary["Subject"] == "second"
    assert summary["To"] == [{"Name": "Bob", "Address": "bob@example.com"}]
    assert summary["From"] == {"Name": "Alice Example", "Address": "alice@example.com"}
    assert summary["Attachments"] == 1
    assert summary["Created"].endswith("Z")
    older = client.get("/api/v1/messages", params={"start": 1}).json()["messages"]
    assert [m["Subject"] for m in older] == ["first"]
    assert older[0]["Bcc"] == [{"Name": "", "Address": "audit@example.com"}]


def test_message_detail_has_mailpit_shape(client: TestClient, store: MessageStore) -> None:
    raw = build_mail(
        subject="Grüße",
        text="plain",
        html="<b>rich</b>",
        attachments=(("r.pdf", "application/pdf", b"%PDF-1.4"),),
    )
    summary = store.add(raw, envelope_for(raw))
    body = client.get(f"/api/v1/message/{summary.id}").json()
    assert set(body) == MESSAGE_KEYS
    assert (body["ID"], body["Subject"], body["ReturnPath"]) == (
        summary.id,
        "Grüße",
        "alice@example.com",
    )
    assert body["Text"].strip() == "plain" and body["HTML"].strip() == "<b>rich</b>"
    assert body["Attachments"] == [
        {
            "PartID": "2",
            "FileName": "r.pdf",
            "ContentType": "application/pdf",
            "ContentID": "",
            "Size": 8,
        }
    ]
    assert store.get(summary.id).read is False  # reading through the API does not mark read


def test_latest_and_missing(client: TestClient, store: MessageStore) -> None:
    empty = client.get("/api/v1/message/latest")
    assert empty.status_code == 404 and "empty" in empty.json()["detail"]
    deliver(store, subject="old")
    deliver(store, subject="new")
    assert client.get("/api/v1/message/latest").json()["Subject"] == "new"
    missing = client.get("/api/v1/message/nope")
    assert missing.status_code == 404
    assert "'nope'" in missing.json()["detail"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"start": -1}, {"limit": "ten"}])
def test_bad_paging_is_a_422_with_a_reason(client: TestClient, params: dict[str, object]) -> None:
    response = client.get("/api/v1/messages", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] in params


def test_health(client: TestClient) -> None:
    assert client.get("/livez").text == "ok"
    assert client.get("/readyz").text == "ok"
