"""The v1 REST API in both stores: Mailpit's paths, shapes and semantics. Through the whole ASGI
stack in-process; gzip and the body limit over real HTTP from uvicorn."""

from __future__ import annotations

import base64
import gzip
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import oneshot
import pytest
from inprocess import InProcess
from liveserver import LiveServer
from mailfactory import build_mail, deliver, envelope_for

from mailtrap import Envelope, MessageStore
from mailtrap.config import Settings
from mailtrap.message.headers import MAX_FIELDS
from mailtrap.message.parsing import MAX_TAG_LENGTH, MAX_TAGS
from mailtrap.message.search import MAX_SIZE, MAX_TERMS
from mailtrap.storage.base import MAX_START
from mailtrap.web import create_app

Live = tuple[InProcess, httpx.Client]
Served = tuple[LiveServer, httpx.Client]

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
    "ListUnsubscribe",
    "Date",
    "Tags",
    "Username",
    "Text",
    "HTML",
    "Size",
    "Inline",
    "Attachments",
}
LIST_KEYS = {
    "total",
    "unread",
    "count",
    "messages_count",
    "messages_unread",
    "start",
    "tags",
    "messages",
}
PDF = b"%PDF-1.4 fake"


def subjects(body: dict) -> list[str]:  # type: ignore[type-arg]
    return [m["Subject"] for m in body["messages"]]


# -- listing and searching ------------------------------------------------------------------


def test_list_has_mailpit_shape_and_never_bodies(live: Live, store: MessageStore) -> None:
    _, http = live
    deliver(store, "audit@example.com", subject="first", headers={"X-Tags": "b, a"})
    raw = build_mail(
        subject="second",
        html="<p>x</p>",
        to="Bob <bob@example.com>",
        attachments=(("r.pdf", "application/pdf", PDF),),
    )
    store.add(raw, envelope_for(raw))
    body = http.get("/api/v1/messages", params={"limit": 1}).json()
    assert set(body) == LIST_KEYS
    assert (body["total"], body["unread"], body["count"], body["start"]) == (2, 2, 1, 0)
    assert (body["messages_count"], body["messages_unread"]) == (2, 2)
    assert body["tags"] == ["a", "b"]
    [summary] = body["messages"]
    assert set(summary) == SUMMARY_KEYS
    assert summary["Subject"] == "second"
    assert summary["To"] == [{"Name": "Bob", "Address": "bob@example.com"}]
    assert summary["From"] == {"Name": "Alice Example", "Address": "alice@example.com"}
    assert summary["Attachments"] == 1
    assert summary["Created"].endswith("Z")
    older = http.get("/api/v1/messages", params={"start": 1}).json()["messages"]
    assert [m["Subject"] for m in older] == ["first"]
    assert older[0]["Bcc"] == [{"Name": "", "Address": "audit@example.com"}]
    assert len(http.get("/api/v1/messages", params={"limit": 0}).json()["messages"]) == 2
    search = http.get("/api/v1/search", params={"query": "is:unread", "limit": 0}).json()
    assert (search["messages"], search["messages_count"]) == ([], 2)  # as Mailpit: counts only


def test_search_counts_matches_separately_from_the_mailbox(live: Live, store: MessageStore) -> None:
    _, http = live
    for i in range(3):
        deliver(store, subject=f"invoice {i}")
    deliver(store, subject="other")
    body = http.get("/api/v1/search", params={"query": "invoice", "limit": 2}).json()
    assert subjects(body) == ["invoice 2", "invoice 1"]
    assert (body["total"], body["messages_count"], body["count"]) == (4, 3, 2)


@pytest.mark.parametrize(
    ("query", "reason"), [("", "no search query"), ("has:wings", "has:'wings'")]
)
def test_bad_search_is_a_400_with_a_reason(live: Live, query: str, reason: str) -> None:
    _, http = live
    for response in (
        http.get("/api/v1/search", params={"query": query}),
        http.delete("/api/v1/search", params={"query": query}),
    ):
        assert response.status_code == 400
        assert reason in response.json()["detail"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("larger:99999999999999999999G", f"largest size a search can compare ({MAX_SIZE} bytes)"),
        (" ".join(["-is:read"] * 999), f"more than {MAX_TERMS} terms"),
    ],
)
def test_queries_no_store_can_run_are_a_400_on_every_endpoint(
    live: Live, store: MessageStore, query: str, reason: str
) -> None:
    """Each once crashed the SQLite store into a 500 (and a huge size the memory store too)."""
    _, http = live
    deliver(store, subject="kept")
    responses = {
        "GET /search": http.get("/api/v1/search", params={"query": query}),
        "GET /wait": http.get("/api/v1/wait", params={"query": query, "timeout": 5}),
        "DELETE /search": http.delete("/api/v1/search", params={"query": query}),
        "PUT /messages": http.put("/api/v1/messages", json={"Search": query, "Read": True}),
    }
    for endpoint, response in responses.items():
        assert response.status_code == 400, (endpoint, response.text)
        assert reason in response.json()["detail"], endpoint
    assert store.count() == 1
    assert store.count(unread=True) == 1


def test_a_search_that_is_not_unicode_is_a_400(live: Live, store: MessageStore) -> None:
    """JSON can carry a lone surrogate (a URL cannot); SQLite could not bind it: a 500."""
    _, http = live
    deliver(store, subject="kept")
    body = '{"Search": "tag:\\ud800", "Read": true}'
    response = http.put(
        "/api/v1/messages", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "lone surrogate (U+D800) at position 4" in response.json()["detail"]
    assert store.count(unread=True) == 1


def test_a_refusal_that_echoes_a_lone_surrogate_is_still_readable(live: Live) -> None:
    """JSON can carry a lone surrogate; echoed in the error, it could not be encoded (a 500)."""
    _, http = live
    for body in (b'{"IDs": [], "Read": "\\ud800"}', b'{"IDs": [], "\\ud800": 1}'):
        response = http.put(
            "/api/v1/messages", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert "valid string" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "start", "count"),
    [
        ({"limit": -1}, 0, 3),  # Mailpit's defaults for what Go's Atoi refuses or is < 0
        ({"start": -1}, 0, 3),
        ({"limit": "ten", "start": "x"}, 0, 3),
        ({"limit": "2.5"}, 0, 3),
        ({"limit": 5000}, 0, 3),  # not capped with a 422
        ({"limit": "+2", "start": "+1"}, 1, 2),  # Atoi takes a sign
        ({"start": 9223372036854775808}, 0, 3),  # past 64 bits: Atoi fails, so the default
        ({"start": MAX_START + 1}, MAX_START + 1, 0),  # an empty page, never a 500
        ({"start": 9223372036854775807}, 9223372036854775807, 0),
    ],
)
def test_paging_falls_back_to_the_defaults_as_in_mailpit(
    live: Live, store: MessageStore, params: dict[str, Any], start: int, count: int
) -> None:
    _, http = live
    for i in range(3):
        deliver(store, subject=f"m{i}")
    for path, extra in (("/api/v1/messages", {}), ("/api/v1/search", {"query": "m"})):
        response = http.get(path, params={**extra, **params})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["start"], len(body["messages"]), body["count"]) == (start, count, count)
        assert body["messages_count"] == 3


def test_limit_zero_means_what_it_means_in_mailpit(live: Live, store: MessageStore) -> None:
    """/messages: no limit (as far as a page goes); /search: the counts and no messages."""
    _, http = live
    for i in range(60):
        deliver(store, subject=f"m{i}")
    listed = http.get("/api/v1/messages", params={"limit": 0}).json()
    assert len(listed["messages"]) == listed["count"] == 60
    assert (
        len(http.get("/api/v1/messages", params={"limit": 0, "start": 50}).json()["messages"]) == 10
    )
    found = http.get("/api/v1/search", params={"query": "m", "limit": 0}).json()
    assert (found["messages"], found["count"], found["messages_count"]) == ([], 0, 60)


def test_a_start_at_the_limit_is_an_empty_page(live: Live, store: MessageStore) -> None:
    _, http = live
    deliver(store, subject="only")
    body = http.get("/api/v1/messages", params={"start": MAX_START}).json()
    assert (body["messages"], body["total"], body["start"]) == ([], 1, MAX_START)


# -- read flags and deletion ------------------------------------------------------------------


def test_set_read_by_ids_by_search_and_all(live: Live, store: MessageStore) -> None:
    _, http = live
    a, b = deliver(store, subject="alpha"), deliver(store, subject="beta")
    assert http.put("/api/v1/messages", json={"IDs": [a.id], "Read": True}).text == "ok"
    assert [store.get(i).read for i in (a.id, b.id)] == [True, False]
    http.put("/api/v1/messages", json={"Search": "beta", "Read": True})
    assert store.count(unread=True) == 0
    http.put("/api/v1/messages", json={"Read": False})  # neither: every message
    assert store.count(unread=True) == 2
    both = http.put("/api/v1/messages", json={"IDs": [a.id], "Search": "x", "Read": True})
    assert both.status_code == 400
    assert "not both" in both.json()["detail"]
    bad = http.put("/api/v1/messages", content=b"{not json")
    assert bad.status_code == 400
    assert "not valid JSON" in bad.json()["detail"]
    assert store.count(unread=True) == 2


def test_delete_by_ids_and_all_but_never_on_bad_json(live: Live, store: MessageStore) -> None:
    _, http = live
    a, b, c = deliver(store), deliver(store), deliver(store)
    assert http.request("DELETE", "/api/v1/messages", json={"IDs": [a.id, "nope"]}).text == "ok"
    assert {m.id for m in store.list().messages} == {b.id, c.id}
    bad = http.request(
        "DELETE", "/api/v1/messages", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400  # as Mailpit
    assert store.count() == 2  # a malformed request deletes nothing
    assert http.delete("/api/v1/messages").text == "ok"  # no body: everything, as Mailpit
    assert store.count() == 0


def test_delete_by_search(live: Live, store: MessageStore) -> None:
    _, http = live
    deliver(store, subject="keep me")
    deliver(store, subject="drop me")
    assert http.delete("/api/v1/search", params={"query": "drop"}).text == "ok"
    assert [m.subject for m in store.list().messages] == ["keep me"]


# -- one message ----------------------------------------------------------------------------


def test_message_detail(live: Live, store: MessageStore) -> None:
    _, http = live
    raw = build_mail(
        subject="Grüße",
        text="plain",
        html="<b>rich</b>",
        attachments=(("r.pdf", "application/pdf", PDF),),
        headers={"List-Unsubscribe": "<https://x.example/u>, <mailto:u@x.example>"},
    )
    summary = store.add(raw, envelope_for(raw))
    assert store.get(summary.id).read is False
    body = http.get(f"/api/v1/message/{summary.id}").json()
    assert set(body) == MESSAGE_KEYS
    assert (body["ID"], body["Subject"], body["ReturnPath"]) == (
        summary.id,
        "Grüße",
        "alice@example.com",
    )
    assert body["Text"].strip() == "plain"
    assert body["HTML"].strip() == "<b>rich</b>"
    assert body["ListUnsubscribe"]["Links"] == ["https://x.example/u", "mailto:u@x.example"]
    [pdf] = body["Attachments"]
    assert pdf == {
        "PartID": "2",
        "FileName": "r.pdf",
        "ContentType": "application/pdf",
        "ContentID": "",
        "Size": len(PDF),
        "Checksums": {
            "MD5": hashlib.md5(PDF).hexdigest(),
            "SHA1": hashlib.sha1(PDF).hexdigest(),
            "SHA256": hashlib.sha256(PDF).hexdigest(),
        },
    }
    assert store.get(summary.id).read is True  # as in Mailpit, reading marks it read


def test_latest_and_missing_are_404s_with_json_reasons(live: Live, store: MessageStore) -> None:
    _, http = live
    empty = http.get("/api/v1/message/latest")
    assert empty.status_code == 404
    assert "empty" in empty.json()["detail"]
    deliver(store, subject="old")
    deliver(store, subject="new")
    assert http.get("/api/v1/message/latest").json()["Subject"] == "new"
    for path in (
        "/api/v1/message/nope",
        "/api/v1/message/nope/headers",
        "/api/v1/message/nope/raw",
        "/api/v1/message/nope/part/1",
    ):
        missing = http.get(path)
        assert missing.status_code == 404, path
        assert "'nope'" in missing.json()["detail"]


def test_headers_raw_and_parts(live: Live, store: MessageStore) -> None:
    _, http = live
    raw = build_mail(
        subject="Hello",
        html="<img src='cid:logo'>",
        attachments=(("Rechnung März.pdf", "application/pdf", PDF),),
    )
    raw = raw.replace(b"Subject: Hello", b"Subject: =?utf-8?q?caf=C3=A9?=")
    summary = store.add(raw, envelope_for(raw))
    headers = http.get(f"/api/v1/message/{summary.id}/headers").json()
    assert list(headers) == sorted(headers)
    assert headers["Subject"] == ["=?utf-8?q?caf=C3=A9?="]  # as sent, like Mailpit
    assert headers["To"] == ["bob@example.com"]
    assert "Message-Id" in headers

    source = http.get(f"/api/v1/message/{summary.id}/raw")
    assert source.content == raw
    assert source.headers["content-type"] == "text/plain; charset=utf-8"
    assert source.headers["x-content-type-options"] == "nosniff"
    download = http.get("/api/v1/message/latest/raw", params={"dl": 1})
    assert download.headers["content-disposition"].startswith(
        f'attachment; filename="{summary.id}.eml"'
    )

    part = http.get(f"/api/v1/message/{summary.id}/part/2")
    assert part.content == PDF
    assert part.headers["content-type"] == "application/pdf"
    assert part.headers["content-disposition"] == (
        "attachment; filename=\"Rechnung M_rz.pdf\"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf"
    )
    assert part.headers["x-content-type-options"] == "nosniff"
    assert http.get(f"/api/v1/message/{summary.id}/part/9").status_code == 404


@pytest.mark.parametrize("name", ["../../etc/passwd", 'a"b\r\nX-Evil: 1.pdf', "..", ""])
def test_hostile_attachment_names_stay_harmless(live: Live, store: MessageStore, name: str) -> None:
    _, http = live
    raw = build_mail(attachments=(("placeholder.bin", "application/octet-stream", b"x"),))
    raw = raw.replace(b'filename="placeholder.bin"', f'filename="{name}"'.encode())
    summary = store.add(raw, envelope_for(raw))
    part_id = store.get(summary.id).attachments[0].part_id
    response = http.get(f"/api/v1/message/{summary.id}/part/{part_id}")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    fallback = disposition.split('filename="')[1].split('"')[0]
    assert "/" not in fallback
    assert "\r" not in fallback
    assert not fallback.startswith(".")
    assert "x-evil" not in response.headers


def test_a_header_flood_is_stored_whole_and_shown_within_the_limit(
    live: Live, store: MessageStore
) -> None:
    _, http = live
    raw = b"Subject: flood\r\nTo: bob@example.com\r\n" + b"X-Junk: y\r\n" * 20_000 + b"\r\nbody"
    summary = store.add(raw, Envelope("alice@example.com", ("bob@example.com",)))
    body = http.get(f"/api/v1/message/{summary.id}").json()
    assert (body["Subject"], body["Text"]) == ("flood", "body")
    headers = http.get(f"/api/v1/message/{summary.id}/headers").json()
    assert sum(len(values) for values in headers.values()) == MAX_FIELDS
    assert http.get(f"/api/v1/message/{summary.id}/raw").content == raw  # nothing is lost
    assert "more than 10000 header fields" in http.get(f"/view/{summary.id}").text


# -- info, tags, send --------------------------------------------------------------------------


def test_info(live: Live, store: MessageStore) -> None:
    _, http = live
    deliver(store, headers={"X-Tags": "one"})
    info = http.get("/api/v1/info").json()
    assert info["Version"] == info["LatestVersion"]
    assert (info["Messages"], info["Unread"], info["Tags"]) == (1, 1, {"one": 1})
    assert info["DatabaseSize"] > 0
    assert set(info["RuntimeStats"]) == {
        "Uptime",
        "Memory",
        "MessagesDeleted",
        "SMTPAccepted",
        "SMTPAcceptedSize",
        "SMTPRejected",
        "SMTPIgnored",
    }
    assert info["RuntimeStats"]["Memory"] > 10_000_000


def test_tags_get_and_put(live: Live, store: MessageStore) -> None:
    _, http = live
    a, b = deliver(store, headers={"X-Tags": "old"}), deliver(store)
    assert http.get("/api/v1/tags").json() == ["old"]
    assert http.put("/api/v1/tags", json={"IDs": [a.id, b.id], "Tags": ["x", "Y"]}).text == "ok"
    assert http.get("/api/v1/tags").json() == ["x", "Y"]
    assert store.get(b.id).tags == ("x", "Y")
    missing = http.put("/api/v1/tags", json={"Tags": ["x"]})
    assert (missing.status_code, missing.json()["detail"]) == (400, "IDs is required")


@pytest.mark.parametrize(
    ("tags", "reason"),
    [
        ([f"t{i}" for i in range(MAX_TAGS + 1)], f"at most {MAX_TAGS} items"),
        (["x" * (MAX_TAG_LENGTH + 1)], f"a tag has at most {MAX_TAG_LENGTH} characters"),
    ],
)
def test_tags_beyond_what_a_message_may_carry_are_refused_not_cut(
    live: Live, store: MessageStore, tags: list[str], reason: str
) -> None:
    _, http = live
    a = deliver(store, headers={"X-Tags": "old"})
    for path, body in (
        ("/api/v1/tags", {"IDs": [a.id], "Tags": tags}),
        ("/api/v1/send", {"From": {"Email": "app@example.com"}, "Tags": tags}),
    ):
        response = http.request("PUT" if path.endswith("tags") else "POST", path, json=body)
        assert response.status_code == 400, path
        assert reason in response.json()["detail"], path
    assert store.get(a.id).tags == ("old",)
    assert store.count() == 1


def test_send_stores_the_message_as_if_received(live: Live, store: MessageStore) -> None:
    _, http = live
    logo = b"\x89PNG\r\n\x1a\nfake"
    response = http.post(
        "/api/v1/send",
        json={
            "From": {"Email": "app@example.com", "Name": "App"},
            "To": [{"Email": "user@example.com", "Name": "Ü User"}],
            "Cc": [{"Email": "cc@example.com"}],
            "Bcc": ["hidden@example.com"],
            "ReplyTo": [{"Email": "support@example.com"}],
            "Subject": "Welcome ✓",
            "Text": "Hello",
            "HTML": '<p>Hello <img src="cid:logo"></p>',
            "Attachments": [
                {"Content": base64.b64encode(PDF).decode(), "Filename": "terms.pdf"},
                {
                    "Content": "data:image/png;base64," + base64.b64encode(logo).decode(),
                    "Filename": "logo.png",
                    "ContentID": "logo",
                },
            ],
            "Headers": {"X-Campaign": "spring"},
            "Tags": ["welcome"],
        },
    )
    assert response.status_code == 200, response.text
    message = store.get(response.json()["ID"])
    assert message.subject == "Welcome ✓"
    assert [a.address for a in message.to] == ["user@example.com"]
    assert [a.address for a in message.bcc] == ["hidden@example.com"]
    assert message.envelope.rcpt_tos == ("user@example.com", "cc@example.com", "hidden@example.com")
    assert message.text.strip() == "Hello"
    assert "cid:logo" in message.html
    assert [(a.filename, a.data) for a in message.attachments] == [("terms.pdf", PDF)]
    assert [(p.content_id, p.data) for p in message.inline] == [("logo", logo)]
    assert message.tags == ("welcome",)
    assert message.headers.get("X-Campaign") == "spring"


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"To": []}, "at least one recipient"),
        ({"From": {"Email": ""}}, "From.Email is empty"),
        ({"To": [{"Email": "not an address"}]}, "not an email address"),
        ({"Attachments": [{"Content": "***", "Filename": "f"}]}, "not valid base64"),
        ({"Headers": {"Subject": "x"}}, "cannot overwrite Subject"),
    ],
)
def test_send_rejects_bad_input_with_a_reason(
    live: Live, store: MessageStore, patch: dict[str, object], reason: str
) -> None:
    _, http = live
    body = {"From": {"Email": "a@example.com"}, "To": [{"Email": "b@example.com"}], **patch}
    response = http.post("/api/v1/send", json=body)
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert store.count() == 0


# -- transport ---------------------------------------------------------------------------------


def test_large_responses_are_gzipped(served: Served, store: MessageStore) -> None:
    _, http = served
    for i in range(30):
        deliver(store, subject=f"message {i}")
    with http.stream("GET", "/api/v1/messages", headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["content-encoding"] == "gzip"
        compressed = b"".join(r.iter_raw())
    assert len(gzip.decompress(compressed)) > 2 * len(compressed)
    plain = http.get("/api/v1/messages", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_no_cors_unless_asked(live: Live, store: MessageStore) -> None:
    _, http = live
    response = http.get("/api/v1/messages", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers
    settings = Settings(api_cors=("http://localhost:3000",))
    with LiveServer(create_app(store, settings)) as server:
        allowed = oneshot.get(
            server.url + "/api/v1/messages", headers={"Origin": "http://localhost:3000"}
        )
        other = oneshot.get(
            server.url + "/api/v1/messages", headers={"Origin": "https://evil.example"}
        )
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "access-control-allow-origin" not in other.headers


def test_health(live: Live) -> None:
    _, http = live
    assert http.get("/livez").text == "ok"
    assert http.get("/readyz").text == "ok"


def test_request_bodies_are_bounded_by_the_message_size_limit(store: MessageStore) -> None:
    settings = Settings(max_message_size=100_000)
    with LiveServer(create_app(store, settings)) as server:
        body = {
            "From": {"Email": "a@example.com"},
            "To": [{"Email": "b@example.com"}],
            "Text": "x" * 300_000,
        }
        too_big = oneshot.post(server.url + "/api/v1/send", json=body)
        assert too_big.status_code == 413
        small = oneshot.post(server.url + "/api/v1/send", json={**body, "Text": "fine"})
        assert small.status_code == 200
    assert store.count() == 1


# -- search: Mailpit's tz parameter -----------------------------------------------------------


def test_tz_places_dates_on_every_search_endpoint(live: Live, store: MessageStore) -> None:
    """Mailpit's `tz` on GET /search, DELETE /search and PUT /messages: 13 hours from now on
    the clock is still to come in UTC, and was an hour ago at UTC+14."""
    _, http = live
    deliver(store, subject="now")
    wall = (datetime.now(UTC) + timedelta(hours=13)).strftime("%Y-%m-%d %H:%M")
    query = f'after:"{wall}"'
    ahead = {"query": query, "tz": "Pacific/Kiritimati"}

    def found(params: dict[str, str]) -> int:
        count: int = http.get("/api/v1/search", params=params).json()["messages_count"]
        return count

    assert found({"query": query, "tz": "UTC"}) == 0
    assert found(ahead) == 1
    assert http.put("/api/v1/messages", params={"tz": "UTC"}, json={"Search": query, "Read": True})
    assert store.count(unread=True) == 1
    http.put("/api/v1/messages", params={"tz": ahead["tz"]}, json={"Search": query, "Read": True})
    assert store.count(unread=True) == 0
    http.delete("/api/v1/search", params={"query": query, "tz": "UTC"})
    assert store.count() == 1
    http.delete("/api/v1/search", params=ahead)
    assert store.count() == 0


def test_an_unknown_tz_is_a_400_naming_it(live: Live, store: MessageStore) -> None:
    """Mailpit ignores it (and reads the date in its own zone); a 400 says what went wrong."""
    _, http = live
    deliver(store, subject="kept")
    params = {"query": "after:2000-01-01", "tz": "Mars/Olympus"}
    for response in (
        http.get("/api/v1/search", params=params),
        http.delete("/api/v1/search", params=params),
        http.put("/api/v1/messages", params={"tz": params["tz"]}, json={"Search": "x"}),
    ):
        assert response.status_code == 400, response.text
        assert "unknown time zone 'Mars/Olympus'" in response.json()["detail"]
    assert store.count() == 1
    assert store.count(unread=True) == 1
