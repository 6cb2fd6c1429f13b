"""POST /api/v1/send: hostile input is a 4xx naming the field, never a 500 and never an injected
header; the message size limit applies as over SMTP. Through the whole ASGI stack in-process; the
size limits over real HTTP from uvicorn."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inprocess import InProcess
from liveserver import LiveServer

from mailtrap import MessageStore
from mailtrap.config import Settings
from mailtrap.smtp.handler import DEFAULT_MAX_MESSAGE_SIZE
from mailtrap.web import create_app
from mailtrap.web.send_input import (
    MAX_ATTACHMENTS,
    MAX_HEADER_TEXT,
    MAX_HEADERS,
    MAX_RECIPIENTS,
)

Live = tuple[InProcess, httpx.Client]
BASE: dict[str, Any] = {"From": {"Email": "a@example.com"}, "To": [{"Email": "b@example.com"}]}


def send(http: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    """POST `body` as JSON with non-ASCII escaped, so a lone surrogate travels as `\\ud800`
    (valid JSON, which is how a client can send one)."""
    headers = {"Content-Type": "application/json"}
    return http.post("/api/v1/send", content=json.dumps(body), headers=headers)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def from_lines(raw: bytes) -> int:
    """How many From: fields the message's header block has."""
    head = raw.split(b"\r\n\r\n")[0]
    return sum(line.lower().startswith(b"from:") for line in head.split(b"\r\n"))


def test_a_header_name_cannot_inject_fields(live: Live, store: MessageStore) -> None:
    """The issue's payload once stored a message with a second From: spoof@evil.example."""
    _, http = live
    response = send(http, {**BASE, "Headers": {"X-A\r\nFrom: spoof@evil.example\r\nX-B": "v"}})
    assert response.status_code == 400
    assert (
        "Headers: 'X-A\\r\\nFrom: spoof@evil.example\\r\\nX-B' is not a header name"
        in (response.json()["detail"])
    )
    assert store.count() == 0


@pytest.mark.parametrize("name", ["X A", "X:A", "", "X-Ä", "X\x00", "X\x7f", "\ud800"])
def test_header_names_must_be_rfc_5322_field_names(
    live: Live, store: MessageStore, name: str
) -> None:
    _, http = live
    response = send(http, {**BASE, "Headers": {name: "v"}})
    assert response.status_code == 400
    assert "is not a header name; use printable ASCII" in response.json()["detail"]
    assert store.count() == 0


def _put(body: dict[str, Any], field: str, value: str) -> dict[str, Any]:
    """`body` with `value` at `field`, a path in the error messages' own notation."""
    a = {"Content": b64(b"x"), "Filename": "a.txt"}
    return {
        "Subject": {**body, "Subject": value},
        "Headers['X-A']": {**body, "Headers": {"X-A": value}},
        "From.Name": {**body, "From": {"Email": "a@example.com", "Name": value}},
        "From.Email": {**body, "From": {"Email": value}},
        "To[0].Name": {**body, "To": [{"Email": "b@example.com", "Name": value}]},
        "To[0].Email": {**body, "To": [{"Email": value}]},
        "Cc[0].Email": {**body, "Cc": [{"Email": value}]},
        "ReplyTo[0].Name": {**body, "ReplyTo": [{"Email": "r@example.com", "Name": value}]},
        "Bcc[0]": {**body, "Bcc": [value]},
        "Tags[1]": {**body, "Tags": ["ok", value]},
        "Attachments[0].Filename": {**body, "Attachments": [{**a, "Filename": value}]},
        "Attachments[0].ContentType": {**body, "Attachments": [{**a, "ContentType": value}]},
        "Attachments[0].ContentID": {
            **body,
            "HTML": "<p>x</p>",
            "Attachments": [{**a, "ContentID": value}],
        },
    }[field]


HEADER_FIELDS = [
    "Subject",
    "Headers['X-A']",
    "From.Name",
    "From.Email",
    "To[0].Name",
    "To[0].Email",
    "Cc[0].Email",
    "ReplyTo[0].Name",
    "Bcc[0]",
    "Tags[1]",
    "Attachments[0].Filename",
    "Attachments[0].ContentType",
    "Attachments[0].ContentID",
]


BREAKS = [
    ("\r", "CR (U+000D)"),
    ("\n", "LF (U+000A)"),
    ("\x00", "NUL (U+0000)"),
    # The email library breaks lines at these too (str.splitlines), and raised on them.
    ("\u2028", "a line break (U+2028)"),
    ("\x85", "a line break (U+0085)"),
    ("\x0b", "a line break (U+000B)"),
]


@pytest.mark.parametrize("field", HEADER_FIELDS)
def test_line_breaks_and_nul_in_header_text_are_a_400_naming_the_field(
    live: Live, store: MessageStore, field: str
) -> None:
    """Each was a 500 (ValueError from the email library), or for names an injection."""
    _, http = live
    for char, named in BREAKS:
        response = send(http, _put(BASE, field, f"x@example.com{char}Bcc: evil@example.com"))
        assert response.status_code == 400, response.text
        detail = response.json()["detail"]
        assert detail.startswith(f"{field}: ")
        assert f"contains {named} at position 13" in detail
    assert store.count() == 0


@pytest.mark.parametrize("field", [*HEADER_FIELDS, "Text", "HTML"])
def test_a_lone_surrogate_is_a_400_naming_the_field(
    live: Live, store: MessageStore, field: str
) -> None:
    """JSON can carry one; encoding the message (or storing the envelope) raised: a 500."""
    _, http = live
    value = "x\udc80@example.com"
    body = {**BASE, field: value} if field in ("Text", "HTML") else _put(BASE, field, value)
    response = send(http, body)
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail.startswith(f"{field}: ")
    assert "lone surrogate (U+DC80) at position 1" in detail
    assert store.count() == 0


def test_ordinary_unicode_and_tabs_still_go_through(live: Live, store: MessageStore) -> None:
    _, http = live
    body = {
        **BASE,
        "From": {"Email": "a@example.com", "Name": "Zoë 😀"},
        "Subject": "Grüße\tand 漢字",
        "Headers": {"X-Note": "über all"},
        "Tags": ["café"],
        "Text": "line one\r\nline two\u2028still text",
    }
    response = send(http, body)
    assert response.status_code == 200, response.text
    message = store.get(response.json()["ID"])
    assert message.subject == "Grüße\tand 漢字"
    assert message.sender is not None
    assert message.sender.name == "Zoë 😀"
    assert message.headers.get("X-Note") == "über all"
    assert message.tags == ("caf",)  # cleaned as Mailpit cleans tags: ASCII only
    assert from_lines(store.get_raw(message.id)) == 1


def test_a_header_the_library_allows_once_is_a_400(live: Live, store: MessageStore) -> None:
    """A second Message-ID (or Sender and sender) made the email library raise: a 500."""
    _, http = live
    for headers in ({"Message-ID": "<mine@example.com>"}, {"Sender": "a@x.y", "sender": "b@x.y"}):
        response = send(http, {**BASE, "Headers": headers})
        assert response.status_code == 400
        assert "at most 1" in response.json()["detail"]
    assert store.count() == 0


@pytest.mark.parametrize("email", ["x@[h", "a@b]", "@", "[89"])
def test_addresses_the_parser_chokes_on_are_a_400(live: Live, email: str) -> None:
    """CPython's address parser raises HeaderParseError (not a ValueError) or, on an open
    domain literal, AttributeError (cpython#134155): each was a 500."""
    _, http = live
    for body in ({**BASE, "Bcc": [email]}, {**BASE, "To": [{"Email": email}]}):
        response = send(http, body)
        assert response.status_code == 400, response.text
        assert "is not an email address" in response.json()["detail"]


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"Header": {"X-A": "b"}}, "unknown key 'Header'; the keys are From, To,"),
        (
            {"From": {"Email": "a@example.com", "Nmae": "A"}},
            "unknown key 'Nmae' in From; the keys there are Email, Name",
        ),
        (
            {"Attachments": [{"Content": "", "Filename": "f", "Cid": "x"}]},
            "unknown key 'Cid' in Attachments[0]; the keys there are Content, Filename,",
        ),
    ],
)
def test_unknown_keys_are_refused_not_ignored(
    live: Live, store: MessageStore, patch: dict[str, Any], reason: str
) -> None:
    _, http = live
    response = send(http, {**BASE, **patch})
    assert response.status_code == 400  # as Mailpit refuses a body it cannot decode
    assert reason in response.json()["detail"]
    assert store.count() == 0


# -- limits: what the library cannot build quickly is refused before it starts ---------------


def test_counts_at_their_limits_are_accepted(live: Live, store: MessageStore) -> None:
    _, http = live
    body = {
        **BASE,
        "HTML": "<p>x</p>",
        "Headers": {f"H{i}": "" for i in range(MAX_HEADERS)},
        "Bcc": [f"b{i}@example.com" for i in range(MAX_RECIPIENTS - 1)],
        "Attachments": [
            {"Content": b64(b"x"), "Filename": f"{i}", "ContentID": f"{i}" if i % 2 else ""}
            for i in range(MAX_ATTACHMENTS)
        ],
    }
    response = send(http, body)
    assert response.status_code == 200, response.text
    message = store.get(response.json()["ID"])
    half = MAX_ATTACHMENTS // 2  # every part sent is shown: none is past the parser's limit
    assert (len(message.inline), len(message.attachments)) == (half, MAX_ATTACHMENTS - half)
    assert len(message.envelope.rcpt_tos) == MAX_RECIPIENTS


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        (
            {"Headers": {f"X-H{i}": "v" for i in range(MAX_HEADERS + 1)}},
            f"Headers: {MAX_HEADERS + 1} fields; /send takes at most {MAX_HEADERS}",
        ),
        (
            {"Bcc": [f"b{i}@example.com" for i in range(MAX_RECIPIENTS)]},
            f"{MAX_RECIPIENTS + 1} recipients; /send takes at most {MAX_RECIPIENTS}",
        ),
        (
            {"Attachments": [{"Content": "", "Filename": "f"}] * (MAX_ATTACHMENTS + 1)},
            f"{MAX_ATTACHMENTS + 1} parts; /send takes at most {MAX_ATTACHMENTS}",
        ),
        ({"Subject": "😀" * 100_000}, f"/send takes at most {MAX_HEADER_TEXT}; put long text"),
        (
            {"Headers": {f"X-H{i}": "v" * 1000 for i in range(17)}},
            f"add up to {17 * 1000 + 75 + 26} characters",  # + names, + addresses
        ),
    ],
)
def test_counts_and_header_text_past_their_limits_are_a_400(
    live: Live, store: MessageStore, patch: dict[str, Any], reason: str
) -> None:
    """Folding non-ASCII header text costs the email library ~50 us a character (100,000:
    several seconds), and fields, parts and addresses cost time in their number."""
    _, http = live
    response = send(http, {**BASE, **patch})
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert store.count() == 0


def test_the_message_size_limit_applies_to_the_built_message(store: MessageStore) -> None:
    """The request body may be up to twice the limit (base64 in JSON); the message may not."""
    limit = 100_000
    settings = Settings(max_message_size=limit)
    with (
        LiveServer(create_app(store, settings)) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        big = {"Content": b64(b"\0" * 90_000), "Filename": "big.bin"}
        response = send(http, {**BASE, "Attachments": [big]})
        assert response.status_code == 413
        detail = response.json()["detail"]
        assert f"larger than the server's limit of {limit} bytes" in detail
        assert "--max-message-size" in detail
        size = int(detail.split("would be ")[1].split(" bytes")[0])
        assert limit < size < 2 * limit
        small = {"Content": b64(b"\0" * 60_000), "Filename": "small.bin"}
        assert send(http, {**BASE, "Attachments": [small]}).status_code == 200
    assert store.count() == 1
    unlimited = Settings(max_message_size=0)  # as for SMTP: no limit
    with (
        LiveServer(create_app(store, unlimited)) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        assert send(http, {**BASE, "Attachments": [big] * 3}).status_code == 200
    assert store.count() == 2


@pytest.mark.slow
def test_the_default_limit_refuses_the_issues_oversized_message(
    live: Live, store: MessageStore
) -> None:
    """A 26 MiB message fits in the request body (2 x 25 MiB) but not in the default limit."""
    _, http = live
    response = send(http, {**BASE, "Text": "x" * (DEFAULT_MAX_MESSAGE_SIZE + 1024 * 1024)})
    assert response.status_code == 413
    assert f"limit of {DEFAULT_MAX_MESSAGE_SIZE} bytes" in response.json()["detail"]
    assert store.count() == 0


def test_inline_images_and_attachments_in_any_order(live: Live, store: MessageStore) -> None:
    """An HTML-only message is itself the HTML part; a plain attachment before an inline one
    must not wrap it in multipart/mixed before the inline one joins it."""
    _, http = live
    parts = [
        {"Content": b64(b"pdf 1"), "Filename": "one.pdf"},
        {"Content": b64(b"png a"), "Filename": "a.png", "ContentID": "a"},
        {"Content": b64(b"pdf 2"), "Filename": "two.pdf"},
        {"Content": b64(b"png b"), "Filename": "b.png", "ContentID": "b"},
    ]
    for text in ("", "plain too"):
        body = {**BASE, "Text": text, "HTML": '<img src="cid:a"><img src="cid:b">'}
        response = send(http, {**body, "Attachments": parts})
        assert response.status_code == 200, response.text
        message = store.get(response.json()["ID"])
        assert [(p.content_id, p.data) for p in message.inline] == [
            ("a", b"png a"),
            ("b", b"png b"),
        ]
        assert [(p.filename, p.data) for p in message.attachments] == [
            ("one.pdf", b"pdf 1"),
            ("two.pdf", b"pdf 2"),
        ]
        assert "cid:a" in message.html


# -- anything else a client can put in the JSON ----------------------------------------------

_TEXT = st.text(max_size=20)
_ADDRESS = st.fixed_dictionaries(
    {"Email": st.one_of(_TEXT, st.emails().map(str))}, optional={"Name": _TEXT}
)
_ATTACHMENT = st.fixed_dictionaries(
    {"Content": st.one_of(st.binary(max_size=16).map(b64), _TEXT), "Filename": _TEXT},
    optional={
        "ContentType": st.one_of(_TEXT, st.sampled_from(["text/plain", "multipart/mixed"])),
        "ContentID": _TEXT,
    },
)
_NAMES = st.one_of(
    _TEXT,
    st.from_regex(r"[!-9;-~]{1,12}", fullmatch=True),
    st.sampled_from(["Message-ID", "Sender", "sender", "Content-Type", "X-Tags"]),
)
_BODY = st.fixed_dictionaries(
    {"From": _ADDRESS},
    optional={
        "To": st.lists(_ADDRESS, max_size=3),
        "Cc": st.lists(_ADDRESS, max_size=2),
        "Bcc": st.lists(_TEXT, max_size=2),
        "ReplyTo": st.lists(_ADDRESS, max_size=2),
        "Subject": _TEXT,
        "Text": _TEXT,
        "HTML": _TEXT,
        "Attachments": st.lists(_ATTACHMENT, max_size=3),
        "Headers": st.dictionaries(_NAMES, _TEXT, max_size=3),
        "Tags": st.lists(_TEXT, max_size=3),
    },
)


def test_no_body_makes_send_fail_with_a_500(live: Live, store: MessageStore) -> None:
    """Generated bodies, hostile characters included: each is stored (and then parses with
    one From) or refused with a reason."""
    _, http = live

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_BODY)
    def check(body: dict[str, Any]) -> None:
        response = send(http, body)
        assert response.status_code in (200, 400), response.text
        if response.status_code == 400:
            assert response.json()["detail"]
            return
        assert from_lines(store.get_raw(response.json()["ID"])) == 1

    check()
