"""mailtrap.Client against a real server, in both stores: same model objects as the store."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import httpx
import pytest
from liveserver import LiveServer
from mailfactory import build_mail, deliver, envelope_for

from mailtrap import Client, MailtrapError, MessageNotFound, MessageStore, WaitTimeout

Live = tuple[LiveServer, httpx.Client]


@pytest.fixture
def client(served: Live) -> Client:
    return Client(served[0].url, timeout=10)


def test_reads_return_the_same_objects_as_the_store(client: Client, store: MessageStore) -> None:
    raw = build_mail(
        subject="Grüße",
        html="<b>x</b>",
        headers={"X-Tags": "t1"},
        attachments=(("a.pdf", "application/pdf", b"%PDF"),),
    )
    summary = store.add(raw, envelope_for(raw, "hidden@example.com"))
    deliver(store, subject="other")
    assert client.messages(limit=5).messages[1] == summary
    assert client.search("grüße").messages == (summary,)
    message = client.get(summary.id)
    assert message == store.get(summary.id)
    assert message.attachments[0].data == b"%PDF"
    assert client.get().subject == "other"  # latest
    assert client.raw(summary.id) == raw
    assert client.tags() == ["t1"]
    assert client.info()["Messages"] == 2


def test_changes(client: Client, store: MessageStore) -> None:
    a, b, _ = deliver(store, subject="a"), deliver(store, subject="b"), deliver(store, subject="c")
    client.mark_read([a.id])
    assert store.get(a.id).read is True
    client.set_tags([b.id], ["x"])
    assert store.get(b.id).tags == ("x",)
    client.delete([])  # nothing, not everything
    assert store.count() == 3
    client.delete([a.id])
    client.delete_search("subject:b")
    assert [m.subject for m in store.list().messages] == ["c"]
    client.delete_all()
    assert store.count() == 0


def test_wait_blocks_until_mail_arrives(client: Client, store: MessageStore) -> None:
    since = datetime.now(UTC)
    time.sleep(0.01)
    timer = threading.Timer(0.2, deliver, args=(store,), kwargs={"subject": "your code"})
    timer.start()
    try:
        [found] = client.wait("subject:code", timeout=10, since=since)
    finally:
        timer.join()
    assert found.subject == "your code"


def test_wait_since_ignores_older_mail(client: Client, store: MessageStore) -> None:
    deliver(store, subject="your code")
    with pytest.raises(WaitTimeout, match="0 of 1") as info:
        client.wait("subject:code", timeout=0.3, since=datetime.now(UTC))
    assert isinstance(info.value, TimeoutError)


def test_errors_are_clear(client: Client) -> None:
    with pytest.raises(MessageNotFound, match="nope"):
        client.get("nope")
    with pytest.raises(MailtrapError, match=r"400.*is:'new'"):
        client.search("is:new")
    with pytest.raises(MailtrapError, match=r"cannot reach mailtrap at http://127\.0\.0\.1:9"):
        Client("http://127.0.0.1:9", timeout=2).messages()
    with pytest.raises(ValueError, match=r"http://"):
        Client("localhost:8025")
