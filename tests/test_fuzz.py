"""Fuzzing the parser, the stores and the renderers: no input raises, nothing is lost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from liveserver import LiveServer

from mailtrap import Envelope, MemoryStore
from mailtrap.message.parsing import parse_message, summarize
from mailtrap.web import create_app

ENV = Envelope("a@example.com", ("b@example.com",))
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

header_name = st.sampled_from(
    [
        "Subject",
        "From",
        "To",
        "Cc",
        "Date",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Content-Disposition",
        "Message-ID",
        "X-Tags",
        "Reply-To",
        "Content-ID",
        "MIME-Version",
        "Bcc",
    ]
)
junk = st.binary(max_size=80)
value = st.one_of(
    junk,
    st.sampled_from(
        [
            b'multipart/mixed; boundary="b"',
            b"multipart/alternative; boundary=b",
            b"text/html; charset=x-unknown",
            b"base64",
            b"quoted-printable",
            b"=?utf-8?b?////?=",
            b"=?bogus?q?=ZZ?=",
            b"<<<@>>>",
            b"attachment; filename*=''",
            b'"unterminated <a@b',
            b"",
            b"message/rfc822",
        ]
    ),
)
part = st.builds(
    lambda headers, body: (
        b"".join(n.encode() + b": " + v + b"\r\n" for n, v in headers) + b"\r\n" + body
    ),
    st.lists(st.tuples(header_name, value), max_size=6),
    st.binary(max_size=300),
)
mime = st.builds(
    lambda head, parts, cut: (
        head + b"".join(b"--b\r\n" + p + b"\r\n" for p in parts) + b"--b--\r\n"
    )[:cut],
    part,
    st.lists(part, max_size=4),
    st.integers(min_value=0, max_value=5000),
)


def parse_all(raw: bytes) -> None:
    digest = summarize(raw, ENV)
    summary = digest.to_summary(id="f", created=datetime.now(UTC), size=len(raw))
    message = parse_message(raw, summary, ENV)
    assert message.raw == raw
    for attachment in (*message.attachments, *message.inline):
        assert isinstance(attachment.data, bytes)
    message.links()
    message.codes()


@FUZZ
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_parse(raw: bytes) -> None:
    parse_all(raw)


@FUZZ
@given(mime)
def test_broken_mime_parses(raw: bytes) -> None:
    parse_all(raw)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[MemoryStore, httpx.Client]]:
    store = MemoryStore(max_messages=0)
    with LiveServer(create_app(store)) as server, httpx.Client(base_url=server.url) as http:
        yield store, http


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.one_of(mime, st.binary(max_size=2000)))
def test_every_input_is_stored_exactly_and_renders(
    served: tuple[MemoryStore, httpx.Client], raw: bytes
) -> None:
    store, http = served
    id = store.add(raw, ENV).id
    assert store.get_raw(id) == raw
    assert http.get(f"/api/v1/message/{id}/raw").content == raw
    for path in (
        f"/api/v1/message/{id}",
        f"/api/v1/message/{id}/headers",
        f"/view/{id}",
        f"/view/{id}/html",
    ):
        assert http.get(path).status_code == 200, path
    # The HTML check: a result, or a 400 for mail without HTML; never a 500.
    assert http.get(f"/api/v1/message/{id}/html-check").status_code in (200, 400)
