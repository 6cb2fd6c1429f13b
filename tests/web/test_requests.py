"""Requests as Mailpit takes them: any Content-Type, keys in any case, unknown keys a 400
that names them, OPTIONS answered, and error text Mailpit's own client shows readably."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import oneshot
import pytest
from clients import node_json
from inprocess import InProcess
from liveserver import LiveServer
from mailfactory import deliver
from tools import mailpit_api

from mailtrap import MemoryStore, MessageStore
from mailtrap.config import Settings
from mailtrap.smtp.chaos import Chaos
from mailtrap.web import create_app

Live = tuple[InProcess, httpx.Client]
ORIGIN = "http://localhost:3000"


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "application/json"],
)
def test_a_json_body_is_read_whatever_its_content_type(
    live: Live, store: MessageStore, content_type: str | None
) -> None:
    _, http = live
    summary = deliver(store)
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps({"IDs": [summary.id], "Read": True}).encode()
    answer = http.put("/api/v1/messages", content=body, headers=headers)
    assert (answer.status_code, answer.text) == (200, "ok")
    assert store.get(summary.id).read is True
    send = {"From": {"Email": "a@example.com"}, "To": [{"Email": "b@example.com"}]}
    sent = http.post("/api/v1/send", content=json.dumps(send).encode(), headers=headers)
    assert sent.status_code == 200, sent.text
    assert store.count() == 2


def test_under_a_webroot_too(store: MessageStore) -> None:
    summary = deliver(store)
    with LiveServer(create_app(store, Settings(webroot="/mail/"))) as server:
        answer = oneshot.put(
            server.url + "/mail/api/v1/messages",
            content=json.dumps({"IDs": [summary.id], "Read": True}),
            headers={"Content-Type": "text/plain"},
        )
        assert (answer.status_code, answer.text) == (200, "ok")
        assert httpx.options(server.url + "/mail/api/v1/messages").status_code == 200
    assert store.get(summary.id).read is True


def test_keys_match_ignoring_case_as_in_go(live: Live, store: MessageStore) -> None:
    _, http = live
    summary = deliver(store)
    assert http.put("/api/v1/messages", json={"ids": [summary.id], "READ": True}).text == "ok"
    assert store.get(summary.id).read is True
    sent = http.post(
        "/api/v1/send", json={"from": {"email": "a@example.com"}, "to": [{"EMAIL": "b@x.example"}]}
    )
    assert sent.status_code == 200, sent.text
    tagged = deliver(store, headers={"X-Tags": "old"})
    assert http.put("/api/v1/tags/old", json={"name": "new"}).status_code == 200
    assert store.get(tagged.id).tags == ("new",)


def test_a_null_is_the_default_as_in_go(live: Live, store: MessageStore) -> None:
    _, http = live
    deliver(store)
    assert http.put("/api/v1/messages", json={"IDs": None, "Read": True}).text == "ok"
    assert store.count(unread=True) == 0  # no IDs: every message, as with none given
    missing = http.put("/api/v1/tags", json={"IDs": None, "Tags": ["x"]})
    assert (missing.status_code, missing.json()["detail"]) == (400, "IDs is required")


@pytest.fixture
def everything(store: MessageStore) -> Iterator[httpx.Client]:
    """The app with chaos, so that every route that takes a body is reachable."""
    with (
        LiveServer(create_app(store, chaos=Chaos())) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        yield http


def body_routes(http: httpx.Client) -> list[tuple[str, str]]:
    """(method, path) of every documented route that takes a JSON body."""
    paths = http.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), path.replace("{", "").replace("}", ""))
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


def test_an_unknown_key_is_a_400_naming_it_on_every_route(
    everything: httpx.Client, store: MessageStore
) -> None:
    http = everything
    summary = deliver(store, headers={"X-Tags": "kept"})
    routes = body_routes(http)
    assert {("PUT", "/api/v1/messages"), ("POST", "/api/v1/send"), ("PUT", "/api/v1/chaos")} <= set(
        routes
    )
    for method, path in routes:
        answer = http.request(method, path, json={"IDs": [summary.id], "NoSuchKey": 1})
        assert answer.status_code == 400, (method, path, answer.text)
        assert "unknown key 'NoSuchKey'; the keys are " in answer.json()["detail"], path
    assert store.count() == 1  # nothing was deleted, sent or changed
    assert (store.get(summary.id).read, store.get(summary.id).tags) == (False, ("kept",))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{", "the body is not valid JSON"),
        (b"[]", "the body must be a JSON object with keys from IDs, Search, Read"),
        (b'{"Read": "maybe"}', "Read: Input should be a valid boolean"),
    ],
)
def test_any_unreadable_body_is_a_400_with_one_sentence(
    live: Live, body: bytes, reason: str
) -> None:
    _, http = live
    answer = http.put("/api/v1/messages", content=body)
    assert answer.status_code == 400
    assert reason in answer.json()["detail"]


def test_a_bad_query_parameter_of_mailtraps_own_routes_stays_a_422(live: Live) -> None:
    _, http = live
    answer = http.get("/api/v1/wait", params={"count": 0})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "count"]


# -- OPTIONS and CORS ---------------------------------------------------------------------


def test_options_answers_an_empty_200(live: Live) -> None:
    _, http = live
    for path in ("/api/v1/messages", "/api/v1/message/x/raw", "/api/v1/send"):
        answer = http.options(path)
        assert (answer.status_code, answer.text) == (200, ""), path


@pytest.fixture
def cors_with_login() -> Iterator[LiveServer]:
    settings = Settings(api_cors=(ORIGIN,), ui_auth=("dev:s3cret",))
    with LiveServer(create_app(MemoryStore(), settings)) as server:
        yield server


def test_with_cors_a_preflight_needs_no_login_and_may_ask_for_any_header(
    cors_with_login: LiveServer,
) -> None:
    url = cors_with_login.url + "/api/v1/messages"
    preflight = httpx.options(
        url,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type, x-client",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "x-client"} <= {h.strip() for h in allowed.split(",")}
    assert httpx.options(url, headers={"Origin": ORIGIN}).status_code == 200
    assert oneshot.get(url, headers={"Origin": ORIGIN}).status_code == 401  # the rest: a login
    logged_in = oneshot.get(url, headers={"Origin": ORIGIN}, auth=("dev", "s3cret"))
    assert logged_in.headers["access-control-allow-origin"] == ORIGIN


def test_without_cors_options_still_needs_the_login() -> None:
    settings = Settings(ui_auth=("dev:s3cret",))
    with LiveServer(create_app(MemoryStore(), settings)) as server:
        assert httpx.options(server.url + "/api/v1/messages").status_code == 401


# -- error text through Mailpit's own client ------------------------------------------------

SCRIPT = r"""
const { MailpitClient } = require(process.argv[2]);
const mailpit = new MailpitClient(process.argv[3]);
const out = {};
const failure = async (call) => {
  try { await call(); return "no error"; } catch (error) { return error.message; }
};
(async () => {
  out.chaos = await mailpit.getChaosTriggers();
  out.set = await mailpit.setChaosTriggers({ Recipient: { ErrorCode: 452, Probability: 25 } });
  out.reset = await mailpit.setChaosTriggers();
  out.unknownKey = await failure(() => mailpit.setReadStatus({ IDs: [], Read: true, Bogus: 1 }));
  out.badSend = await failure(() => mailpit.sendMessage({ From: { Email: "" }, To: [] }));
  out.badTrigger = await failure(() => mailpit.setChaosTriggers({ Sender: { ErrorCode: 200 } }));
  console.log(JSON.stringify(out));
})().catch((error) => { console.error(error); process.exit(1); });
"""


def test_mailpit_api_reads_chaos_and_shows_our_error_text(
    everything: httpx.Client, tmp_path: Path
) -> None:
    package = mailpit_api()
    script = tmp_path / "client.cjs"
    script.write_text(SCRIPT)
    out = node_json(script, str(package), str(everything.base_url))
    defaults = {
        "Sender": {"ErrorCode": 451, "Probability": 0},
        "Recipient": {"ErrorCode": 451, "Probability": 0},
        "Authentication": {"ErrorCode": 535, "Probability": 0},
    }
    assert out["chaos"] == defaults == out["reset"]
    assert out["set"] == {**defaults, "Recipient": {"ErrorCode": 452, "Probability": 25}}
    assert out["unknownKey"].startswith("Mailpit API Error: 400 Bad Request at PUT ")
    assert "unknown key 'Bogus'; the keys are IDs, Search, Read" in out["unknownKey"]
    assert "From.Email is empty" in out["badSend"]
    assert "ErrorCode must be from 400 to 599" in out["badTrigger"]
