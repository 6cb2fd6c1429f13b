"""PUT/DELETE /api/v1/tags/{Tag} and GET /api/v1/webui."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from inprocess import InProcess
from liveserver import LiveServer
from mailfactory import deliver

from mailtrap import MemoryStore, MessageStore
from mailtrap.smtp.chaos import Chaos
from mailtrap.web import create_app

Live = tuple[InProcess, httpx.Client]
Served = tuple[LiveServer, httpx.Client]


def test_rename_a_tag(live: Live, store: MessageStore) -> None:
    _, http = live
    a = deliver(store, headers={"X-Tags": "Old Name, other"})
    b = deliver(store, headers={"X-Tags": "old name"})
    response = http.put(f"/api/v1/tags/{quote('old name')}", json={"Name": "New/Name!"})
    assert (response.status_code, response.text) == (200, "ok")
    assert response.headers["content-type"].startswith("text/plain")
    assert http.get("/api/v1/tags").json() == ["New Name", "other"]
    assert store.get(a.id).tags == ("New Name", "other")
    assert store.get(b.id).tags == ("New Name",)
    found = http.get("/api/v1/search", params={"query": 'tag:"new name"'}).json()
    assert found["messages_count"] == 2


@pytest.mark.parametrize(
    ("path", "body", "status", "reason"),
    [
        ("/api/v1/tags/missing", {"Name": "x"}, 404, "no message carries the tag 'missing'"),
        ("/api/v1/tags/one", {"Name": "Two"}, 409, "a tag by that name is already in use"),
        ("/api/v1/tags/one", {"Name": "%%%"}, 400, "'%%%' is no tag name"),
    ],
)
def test_a_rename_that_cannot_be_done_says_why_and_changes_nothing(
    live: Live, store: MessageStore, path: str, body: dict[str, str], status: int, reason: str
) -> None:
    _, http = live
    a = deliver(store, headers={"X-Tags": "one, two"})
    response = http.put(path, json=body)
    assert response.status_code == status
    assert reason in response.json()["detail"]
    assert store.get(a.id).tags == ("one", "two")


# {"name": "x"} is Name, as Go's decoder (Mailpit) reads it: see test_requests.py.
@pytest.mark.parametrize("body", [{}, {"Name": "x", "Nmae": "y"}, ["x"]])
def test_a_rename_body_without_exactly_name_is_refused(
    live: Live, store: MessageStore, body: object
) -> None:
    _, http = live
    a = deliver(store, headers={"X-Tags": "one"})
    response = http.put("/api/v1/tags/one", json=body)
    assert 400 <= response.status_code < 500
    assert store.get(a.id).tags == ("one",)


def test_delete_a_tag(live: Live, store: MessageStore) -> None:
    _, http = live
    a = deliver(store, headers={"X-Tags": "Gone Soon, kept"})
    response = http.delete(f"/api/v1/tags/{quote('gone soon')}")
    assert (response.status_code, response.text) == (200, "ok")
    assert store.get(a.id).tags == ("kept",)
    assert store.count() == 1
    again = http.delete(f"/api/v1/tags/{quote('gone soon')}")
    assert again.status_code == 404
    assert "no message carries the tag 'gone soon'" in again.json()["detail"]


WEBUI_KEYS = {
    "Label",
    "MessageRelay",
    "SpamAssassin",
    "ChaosEnabled",
    "DuplicatesIgnored",
    "HideDeleteAllButton",
}
RELAY = {
    "Enabled": False,
    "SMTPServer": "",
    "ReturnPath": "",
    "AllowedRecipients": "",
    "BlockedRecipients": "",
    "OverrideFrom": "",
    "PreserveMessageIDs": False,
}


def test_webui_says_what_mailtrap_has(live: Live) -> None:
    _, http = live
    config = http.get("/api/v1/webui").json()
    assert set(config) == WEBUI_KEYS
    assert config["MessageRelay"] == RELAY
    assert config["Label"] == ""
    assert config["SpamAssassin"] is False
    assert config["DuplicatesIgnored"] is False
    assert config["HideDeleteAllButton"] is False
    # No SMTP server beside this app, so /api/v1/chaos has nothing to act on.
    assert config["ChaosEnabled"] is False
    assert http.get("/api/v1/chaos").status_code == 404


def test_webui_reports_chaos_when_the_chaos_api_works() -> None:
    app = create_app(MemoryStore(), chaos=Chaos())
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/api/v1/webui").json()["ChaosEnabled"] is True
        assert http.get("/api/v1/chaos").status_code == 200
