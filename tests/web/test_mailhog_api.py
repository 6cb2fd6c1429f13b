"""MailHog's API beside Mailpit's (in-process, both stores): the exact shape of a message,
MailHog's search kinds and paging, the per-message v1 routes, their errors, and the same mail
read through both APIs giving the same bytes and fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from inprocess import InProcess

from mailtrap import Envelope, MessageStore
from mailtrap.message.mailhog import MAX_DEPTH, mailhog_created

Live = tuple[InProcess, httpx.Client]
DATA = Path(__file__).resolve().parents[1] / "data"
CORPUS = sorted(DATA.glob("*.eml"))
ENVELOPE = Envelope("sender@example.com", ("rcpt@example.com",), helo="client.example")

ALTERNATIVE = (
    b"From: A <a@example.com>\r\n"
    b"To: b@example.com\r\n"
    b"Subject: =?UTF-8?Q?caf=C3=A9?=\r\n  continued\r\n"
    b'Content-Type: multipart/alternative;\r\n boundary="b1"\r\n'
    b"\r\n"
    b"preamble\r\n"
    b"--b1\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
    b"--b1\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
    b"--b1--\r\n"
)


def _part(headers: dict[str, list[str]], body: str, size: int) -> dict[str, Any]:
    return {"Headers": headers, "Body": body, "Size": size, "MIME": None}


def test_a_message_in_mailhogs_exact_shape(store: MessageStore, live: Live) -> None:
    _, client = live
    envelope = Envelope("@relay.example:a@example.com", ("b@example.com",), helo="client.example")
    summary = store.add(ALTERNATIVE, envelope)
    item = client.get(f"/api/v1/messages/{summary.id}").json()
    assert list(item) == ["ID", "From", "To", "Content", "Created", "MIME", "Raw"]
    assert item == {
        "ID": summary.id,
        "From": {
            "Relays": ["@relay.example"],
            "Mailbox": "a",
            "Domain": "example.com",
            "Params": "",
        },
        "To": [{"Relays": None, "Mailbox": "b", "Domain": "example.com", "Params": ""}],
        "Content": {
            # As written, sorted as Go sorts a map; folded lines joined with their whitespace;
            # the envelope sender added as Return-Path, as MailHog adds it.
            "Headers": {
                "Content-Type": ['multipart/alternative; boundary="b1"'],
                "From": ["A <a@example.com>"],
                "Return-Path": ["<@relay.example:a@example.com>"],
                "Subject": ["=?UTF-8?Q?caf=C3=A9?=  continued"],
                "To": ["b@example.com"],
            },
            # As MailHog's SMTP server kept it: without the CRLF before the final dot.
            "Body": ALTERNATIVE.split(b"\r\n\r\n", 1)[1].decode().removesuffix("\r\n"),
            "Size": len(ALTERNATIVE) - 2,
            "MIME": None,
        },
        "Created": mailhog_created(summary.created),
        "MIME": {
            "Parts": [
                _part({}, "preamble", 8),  # MailHog makes the preamble a part
                _part({"Content-Type": ["text/plain"]}, "plain", 33),
                _part({"Content-Type": ["text/html"]}, "<p>html</p>", 38),
                _part({}, "--", 2),  # and what follows the closing boundary
            ]
        },
        "Raw": {
            "From": "@relay.example:a@example.com",
            "To": ["b@example.com"],
            "Data": ALTERNATIVE.decode().removesuffix("\r\n"),
            "Helo": "client.example",
        },
    }
    assert item["Created"].endswith("Z")


def test_nested_multiparts_and_repeated_fields(store: MessageStore, live: Live) -> None:
    _, client = live
    raw = (
        b"Received: one\r\nReceived: two\r\n"
        b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        b'--outer\r\nContent-Type: multipart/alternative; boundary="inner"\r\n\r\n'
        b"--inner\r\nContent-Type: text/plain\r\n\r\nhi\r\n--inner--\r\n"
        b"--outer\r\nContent-Type: text/csv\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"YSxi\r\n--outer--"
    )
    item = client.get(f"/api/v1/messages/{store.add(raw, ENVELOPE).id}").json()
    assert item["Content"]["Headers"]["Received"] == ["one", "two"]  # MailHog kept the last
    outer = item["MIME"]["Parts"]
    assert [p["Headers"].get("Content-Type") for p in outer] == [
        ['multipart/alternative; boundary="inner"'],
        ["text/csv"],
        None,  # the "--" after the closing boundary
    ]
    inner = outer[0]["MIME"]["Parts"]
    assert [p["Body"] for p in inner] == ["hi", "--"]
    assert outer[1]["Body"] == "YSxi"  # still base64
    assert outer[1]["MIME"] is None


@pytest.mark.parametrize(
    ("raw", "headers", "body"),
    [
        (b"Subject: bare\nTo: x@example.com\n\nline\nend\n", {"Subject": ["bare"]}, "line\nend"),
        (b"Subject: no body at all\r\n", {"Subject": ["no body at all"]}, ""),
        (b"just text, no headers", {}, "just text, no headers"),
        (b"Subject: caf\xe9\r\n\r\n\xff", {"Subject": ["caf\ufffd"]}, "\ufffd"),
        (b"X-Tight:value\r\nbroken line\r\n\r\nb", {"X-Tight": ["value"]}, "b"),
    ],
    ids=["bare-lf", "headers-only", "no-headers", "not-utf8", "no-space"],
)
def test_lenient_where_mailhog_lost_data(
    store: MessageStore, live: Live, raw: bytes, headers: dict[str, list[str]], body: str
) -> None:
    _, client = live
    item = client.get(f"/api/v1/messages/{store.add(raw, ENVELOPE).id}").json()
    got = {k: v for k, v in item["Content"]["Headers"].items() if k in headers}
    assert (got, item["Content"]["Body"]) == (headers, body)


def test_deep_nesting_is_bounded(store: MessageStore, live: Live) -> None:
    _, client = live
    id = store.add((DATA / "broken-500-deep-nested-multipart.eml").read_bytes(), ENVELOPE).id
    mime = client.get(f"/api/v1/messages/{id}").json()["MIME"]
    depth = 0
    while mime is not None and mime["Parts"]:
        depth += 1
        mime = mime["Parts"][0]["MIME"]
    assert depth == MAX_DEPTH


def _send_three(store: MessageStore) -> list[str]:
    """Three messages (oldest first) and their ids."""
    mails = [
        ("From: Shop <shop@example.com>\r\nTo: ann@example.com\r\nSubject: Order 1\r\n\r\nPaid",
         "shop@example.com", ("ann@example.com",)),
        ("From: news@example.org\r\nTo: bob@example.com\r\nSubject: News\r\n\r\nHello Bob",
         "bounce@example.org", ("bob@example.com", "secret@example.net")),
        ("From: Shop <shop@example.com>\r\nTo: bob@example.com\r\nSubject: Order 2\r\n\r\nShipped",
         "shop@example.com", ("bob@example.com",)),
    ]  # fmt: skip
    return [store.add(raw.encode(), Envelope(sender, rcpts)).id for raw, sender, rcpts in mails]


def _ids(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["ID"] for item in answer.json()["items"]]


def test_list_and_search_newest_first_with_mailhogs_paging(store: MessageStore, live: Live) -> None:
    _, client = live
    order1, news, order2 = _send_three(store)
    page = client.get("/api/v2/messages", params={"start": 1, "limit": 1}).json()
    assert {k: page[k] for k in ("total", "count", "start")} == {"total": 3, "count": 1, "start": 1}
    assert _ids(client.get("/api/v2/messages")) == [order2, news, order1]
    # As MailHog: a limit of 0 or one that is no number is 50, a start that is none is 0.
    assert _ids(client.get("/api/v2/messages", params={"limit": "x", "start": "-3"})) == [
        order2,
        news,
        order1,
    ]

    def search(kind: str, query: str, **paging: int) -> list[str]:
        return _ids(client.get("/api/v2/search", params={"kind": kind, "query": query, **paging}))

    assert search("from", "SHOP@example.com") == [order2, order1]
    assert search("from", "Shop", start=1, limit=5) == [order1]
    assert search("to", "bob@example.com") == [order2, news]
    assert search("to", "secret@example.net") == [news]  # only in the envelope
    assert search("containing", "hello bob") == [news]
    assert search("containing", "Order") == [order2, order1]
    answer = client.get("/api/v2/search", params={"kind": "to", "query": "bob", "limit": 1})
    assert {k: answer.json()[k] for k in ("total", "count", "start")} == {
        "total": 2,
        "count": 1,
        "start": 0,
    }


def test_limit_is_at_most_250(store: MessageStore, live: Live) -> None:
    _, client = live
    for n in range(251):
        store.add(f"Subject: {n}\r\n\r\nx".encode(), ENVELOPE)
    page = client.get("/api/v2/messages", params={"limit": 1000}).json()
    assert (page["total"], page["count"]) == (251, 250)


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"kind": "subject", "query": "x"}, "search kind 'subject' is not one MailHog has"),
        ({"query": "x"}, "search kind '' is not one MailHog has"),
        ({"kind": "to", "query": " "}, "no search query"),
        ({"kind": "containing", "query": "@@"}, "has no letter or digit"),
    ],
)
def test_bad_searches_are_400s_that_say_why(
    live: Live, params: dict[str, str], detail: str
) -> None:
    _, client = live
    answer = client.get("/api/v2/search", params=params)
    assert answer.status_code == 400
    assert detail in answer.json()["detail"]


def test_v1_routes_for_one_message(store: MessageStore, live: Live) -> None:
    _, client = live
    order1, news, order2 = _send_three(store)
    assert client.get("/api/v1/messages/latest").json()["ID"] == order2
    download = client.get(f"/api/v1/messages/{news}/download")
    assert download.headers["content-type"] == "message/rfc822"
    assert download.headers["content-disposition"].startswith(f'attachment; filename="{news}.eml"')
    assert download.content == store.get_raw(news)
    # Reading it through MailHog's route does not mark it read (MailHog has no read state).
    assert client.get("/api/v1/messages", params={"limit": 5}).json()["unread"] == 3
    deleted = client.delete(f"/api/v1/messages/{news}")
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert [m.id for m in store.list().messages] == [order2, order1]
    for answer in (
        client.get(f"/api/v1/messages/{news}"),
        client.delete(f"/api/v1/messages/{news}"),
        client.get(f"/api/v1/messages/{news}/download"),
    ):
        assert answer.status_code == 404
        assert news in answer.json()["detail"]


def test_options_answers_an_empty_200_as_mailhog(live: Live) -> None:
    _, client = live
    for path in ("/api/v2/messages", "/api/v2/search", "/api/v2/jim", "/api/v1/messages/x"):
        answer = client.options(path)
        assert (answer.status_code, answer.content) == (200, b""), path


def test_release_says_there_is_no_relay(store: MessageStore, live: Live) -> None:
    """(With a relay: tests/compat/test_mailhog_release.py.)"""
    _, client = live
    id = _send_three(store)[0]
    body = {"Host": "127.0.0.1", "Port": "2525", "Email": "x@example.com"}
    answer = client.post(f"/api/v1/messages/{id}/release", json=body)
    assert answer.status_code == 400
    assert "no SMTP relay is configured" in answer.json()["detail"]
    assert "--smtp-relay-host 127.0.0.1 --smtp-relay-port 2525" in answer.json()["detail"]
    unknown_key = client.post(f"/api/v1/messages/{id}/release", json={"Hots": "x"})
    assert unknown_key.status_code == 400
    assert "Hots" in unknown_key.json()["detail"]


def test_delete_all_answers_each_client_its_way(store: MessageStore, live: Live) -> None:
    _, client = live
    _send_three(store)
    # npm mailhog (Node's http, no Accept) reads any body as JSON: it gets MailHog's empty 200.
    bare = client.build_request("DELETE", "/api/v1/messages")
    del bare.headers["accept"]
    answer = client.send(bare)
    assert (answer.status_code, answer.content, store.count()) == (200, b"", 0)
    _send_three(store)
    answer = client.delete("/api/v1/messages")  # Mailpit's clients all send an Accept
    assert (answer.status_code, answer.text, store.count()) == (200, "ok", 0)


def _lower(headers: dict[str, list[str]]) -> dict[str, list[str]]:
    """Names ignoring case, values with each run of whitespace one space: Mailpit's headers
    make a folded line's whitespace one space, MailHog's keep it as sent."""
    merged: dict[str, list[str]] = {}
    for name, values in headers.items():
        merged.setdefault(name.lower(), []).extend(" ".join(v.split()) for v in values)
    return merged


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_same_mail_through_both_apis_gives_the_same_bytes_and_fields(
    store: MessageStore, live: Live, path: Path
) -> None:
    """Every corpus mail, broken ones included, read through MailHog's routes and Mailpit's."""
    _, client = live
    raw = path.read_bytes()
    summary = store.add(raw, ENVELOPE)
    id = summary.id
    item = client.get(f"/api/v1/messages/{id}").json()
    listed = client.get("/api/v2/messages").json()["items"]
    assert listed == [item]
    mailpit = client.get("/api/v1/messages").json()["messages"][0]
    # The same bytes: MailHog's download, Mailpit's raw, the stored file, and Raw.Data.
    assert client.get(f"/api/v1/messages/{id}/download").content == raw
    assert client.get(f"/api/v1/message/{id}/raw").content == raw
    # Raw.Data, Body and Size leave out the last line's end, as MailHog's SMTP server did.
    ending = next((e for e in (b"\r\n", b"\n") if raw.endswith(e)), b"")
    data = raw.removesuffix(ending)
    assert item["Raw"]["Data"] == data.decode("utf-8", "replace")
    assert data.decode("utf-8", "replace").endswith(item["Content"]["Body"])
    # The same fields: id, size, time of arrival, envelope, and every header value as sent.
    assert item["ID"] == mailpit["ID"] == id
    assert item["Content"]["Size"] + len(ending) == mailpit["Size"] == len(raw)
    assert item["Created"] == mailhog_created(summary.created)
    assert item["Raw"]["From"] == ENVELOPE.mail_from
    assert item["Raw"]["To"] == list(ENVELOPE.rcpt_tos)
    headers = _lower(item["Content"]["Headers"])
    assert headers["return-path"].pop() == f"<{ENVELOPE.mail_from}>"  # MailHog adds it
    if not headers["return-path"]:
        del headers["return-path"]
    if not path.name.startswith("broken-"):
        mailpit_headers = client.get(f"/api/v1/message/{id}/headers").json()
        assert headers == _lower(mailpit_headers)


def test_a_mime_part_downloads_decoded(store: MessageStore, live: Live) -> None:
    _, client = live
    id = store.add((DATA / "mailhog-latin1-with-pdf.eml").read_bytes(), ENVELOPE).id
    pdf = client.get(f"/api/v1/messages/{id}/mime/part/2/download")  # 0 is the preamble
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == 'application/pdf; name="invoice-2002.pdf"'
    assert pdf.headers["content-disposition"].startswith(f'attachment; filename="{id}-part-2"')
    assert pdf.content.startswith(b"%PDF-1.4\n")
    text = client.get(f"/api/v1/messages/{id}/mime/part/1/download")
    assert text.content == b"Caf=E9 cr=E8me: see the attached invoice."  # not base64: as is
    missing = client.get(f"/api/v1/messages/{id}/mime/part/4/download")
    assert missing.status_code == 404
    assert "has 4 MIME parts (0 to 3), not 4" in missing.json()["detail"]
    broken = store.add((DATA / "broken-invalid-base64.eml").read_bytes(), ENVELOPE).id
    parts = client.get(f"/api/v1/messages/{broken}").json()["MIME"]["Parts"]
    assert any("base64" in str(p["Headers"]) for p in parts)
    for index in range(len(parts)):  # whatever decodes of it, never a 500
        answer = client.get(f"/api/v1/messages/{broken}/mime/part/{index}/download")
        assert answer.status_code == 200
