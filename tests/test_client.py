"""mailtrap.Client against a real server, in both stores: same model objects as the store."""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from liveserver import LiveServer
from mailfactory import build_mail, deliver, envelope_for

from mailtrap import Client, MailtrapError, MessageNotFound, MessageStore, WaitTimeout
from mailtrap.options import WebOptions
from mailtrap.smtp.auth import Passwords
from mailtrap.web import create_app

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


PASSWORD = "pw-Zq9%x"  # with a character that URLs must escape


def quoted_password() -> str:
    return urllib.parse.quote(PASSWORD, safe="")


@pytest.fixture
def guarded(store: MessageStore) -> Iterator[str]:
    """`store` served behind `--ui-auth qa:PASSWORD`; yields the URL without credentials."""
    options = WebOptions(passwords=Passwords({"qa": PASSWORD}))
    with LiveServer(create_app(store, options)) as server:
        yield server.url


@pytest.mark.parametrize("how", ["url", "auth"])
def test_a_login_in_the_url_or_as_auth_reaches_a_guarded_server(
    guarded: str, store: MessageStore, how: str
) -> None:
    deliver(store, subject="behind a login")
    if how == "url":
        quoted = urllib.parse.quote(PASSWORD, safe="")
        client = Client(guarded.replace("http://", f"http://qa:{quoted}@"), timeout=10)
    else:
        client = Client(guarded, auth=("qa", PASSWORD), timeout=10)
    assert client.base_url == guarded  # the login is kept apart from the URL
    assert client.username == "qa"
    assert [m.subject for m in client.messages().messages] == ["behind a login"]
    assert PASSWORD not in repr(client)
    assert quoted_password() not in repr(client)
    assert repr(client) == f"Client({guarded!r}, username='qa')"


def test_a_missing_or_wrong_login_is_named_without_the_password(guarded: str) -> None:
    with pytest.raises(MailtrapError, match=r"answered 401: .*requires a login \(--ui-auth\)"):
        Client(guarded, timeout=10).messages()
    wrong = Client(guarded, auth=("qa", "Wr0ng-" + PASSWORD), timeout=10)
    with pytest.raises(MailtrapError, match=r"refused the login as 'qa'") as refused:
        wrong.messages()
    unreachable = Client(f"http://qa:{quoted_password()}@127.0.0.1:9", timeout=2)
    with pytest.raises(
        MailtrapError, match=r"cannot reach mailtrap at http://127\.0\.0\.1:9 "
    ) as gone:
        unreachable.messages()
    for error in (refused, gone):
        assert PASSWORD not in str(error.value)
        assert quoted_password() not in str(error.value)


def test_a_login_given_twice_or_half_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="a login in the URL and auth=; give one") as twice:
        Client(f"http://qa:{PASSWORD}@127.0.0.1:8025", auth=("qa", PASSWORD))
    with pytest.raises(ValueError, match=r"a user name and a password") as half:
        Client("http://qa@127.0.0.1:8025")
    for error in (twice, half):
        assert PASSWORD not in str(error.value)
