"""The lenient parser: decoded fields, classified parts, and defects instead of exceptions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from mailfactory import build_mail

from mailtrap import Envelope, Message
from mailtrap.message.headers import MAX_FIELDS, MAX_HEAD_SIZE
from mailtrap.message.parsing import parse_message, summarize

ENV = Envelope("sender@example.com", ("to@example.com",))


def parse(raw: bytes, envelope: Envelope = ENV) -> Message:
    digest = summarize(raw, envelope)
    summary = digest.to_summary(id="x", created=datetime.now(UTC), size=len(raw))
    return parse_message(raw, summary, envelope)


def test_rfc2047_words_are_decoded_in_subject_and_names() -> None:
    raw = (
        b"Subject: =?UTF-8?B?R3LDvMOfZQ==?= =?ISO-8859-1?Q?_aus_K=F6ln?=\r\n"
        b"From: =?utf-8?q?J=C3=B6rg?= <j@example.com>\r\n"
        b"To: to@example.com\r\n\r\nbody\r\n"
    )
    message = parse(raw)
    assert message.subject == "Grüße aus Köln"
    assert message.sender is not None
    assert message.sender.name == "Jörg"
    assert message.headers.get("subject") == "Grüße aus Köln"


def test_smtputf8_headers_are_decoded_as_utf8() -> None:
    raw = "Subject: Grüße\r\nFrom: Jörg <jörg@exämple.com>\r\n\r\nhi\r\n".encode()
    message = parse(raw)
    assert message.subject == "Grüße"
    assert message.sender is not None
    assert (message.sender.name, message.sender.address) == ("Jörg", "jörg@exämple.com")


def test_envelope_recipients_not_in_headers_are_bcc() -> None:
    raw = b"To: A <a@example.com>\r\nCc: c@example.com\r\n\r\nx"
    env = Envelope("s@example.com", ("A@example.com", "c@example.com", "hidden@example.com"))
    message = parse(raw, env)
    assert [a.address for a in message.bcc] == ["hidden@example.com"]


def test_tags_from_x_tags_and_plus_addresses() -> None:
    raw = b"X-Tags: beta, Alpha ,, BETA\r\nTo: dev+Signup@example.com\r\n\r\nx"
    message = parse(raw, Envelope("", ("dev+signup@example.com", "ops+alerts@example.com")))
    assert message.tags == ("alerts", "Alpha", "beta", "signup")  # envelope spelling first


def test_text_and_html_end_lines_with_lf_and_the_raw_bytes_keep_crlf() -> None:
    """Issue 17: `.text` came back as 'Hi\\r\\nOrder', where Django's `mailoutbox` (and any
    Python string a test compares it with) says 'Hi\\nOrder'."""
    raw = (
        b"Subject: s\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nHi\r\nOrder 7\rshipped\r\n"
        b"--b\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n"
        b"\r\n<p>Hi</p>=0D=0A<p>Order</p>\r\n--b--\r\n"
    )
    message = parse(raw)
    assert message.text == "Hi\nOrder 7\nshipped"  # the last CRLF belongs to the boundary
    assert message.html == "<p>Hi</p>\n<p>Order</p>"
    assert message.raw == raw
    single = parse(b"Subject: s\r\n\r\none\r\ntwo\r\n")  # the one-part shortcut too
    assert single.text == "one\ntwo\n"


def test_bodies_attachments_and_inline_parts_are_classified() -> None:
    raw = build_mail(
        text="plain",
        html='<p>hi <img src="cid:logo@x"></p>',
        attachments=(("a.pdf", "application/pdf", b"%PDF"), ("n.txt", "text/plain", b"note")),
    )
    # Make the PDF an inline, cid-referenced part and check it moves to `inline`.
    raw = raw.replace(
        b'Content-Disposition: attachment; filename="a.pdf"',
        b"Content-Disposition: inline\r\nContent-ID: <logo@x>",
    )
    message = parse(raw)
    assert message.text.strip() == "plain"
    assert "cid:logo@x" in message.html
    assert [(p.content_id, p.data) for p in message.inline] == [("logo@x", b"%PDF")]
    assert [(a.filename, a.content_type, a.data) for a in message.attachments] == [
        ("n.txt", "text/plain", b"note")
    ]
    assert message.attachment_count == 1


def test_attached_message_is_one_attachment_with_its_bytes() -> None:
    inner = b"Subject: inner\r\nFrom: i@example.com\r\n\r\ninner body\r\n"
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\nSubject: outer\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nouter body\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"--b--\r\n"
    )
    message = parse(raw)
    assert message.text.strip() == "outer body"
    [attached] = message.attachments
    assert attached.content_type == "message/rfc822"
    assert b"inner body" in attached.data
    assert b"Subject: inner" in attached.data


def test_snippet_comes_from_html_when_there_is_no_text() -> None:
    raw = build_mail(text=None, html="<style>p{}</style><p>Hello&nbsp;<b>there</b></p>\n" * 50)
    snippet = summarize(raw, ENV).snippet
    assert snippet.startswith("Hello there Hello")  # entities decoded, white space collapsed
    assert "p{}" not in snippet
    assert len(snippet) == 250


@pytest.mark.parametrize(
    ("raw", "defect"),
    [
        (b"Content-Type: text/plain; charset=x-nope\r\n\r\nabc", "unknown charset 'x-nope'"),
        (b"Date: yesterday-ish\r\n\r\nx", "Date header is not a valid date"),
    ],
)
def test_problems_become_defects_not_exceptions(raw: bytes, defect: str) -> None:
    message = parse(raw)
    assert any(defect in d for d in message.defects), message.defects
    assert message.raw == raw


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"no colon in this header line\r\nSubject: x\r\n\r\nbody",
        b'Subject: \xff\xfe\x00 bad\r\nFrom: <<<@>>>\r\nTo: ,,, "unterminated <a@b\r\n\r\n\x00\x80',
        b'Content-Type: multipart/mixed; boundary="zz"\r\n\r\n--zz\r\nContent-Type: text/pl',
        b"Content-Type: multipart/alternative\r\n\r\nno boundary at all",
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!",
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n\xe9t\xe9 latin-1 really",
    ],
)
def test_malformed_mail_never_raises(raw: bytes) -> None:
    message = parse(raw)
    assert message.raw == raw
    assert isinstance(message.text, str)


def test_pathological_nesting_is_cut_off_not_a_crash() -> None:
    depth = 5000
    head = b"Subject: deep\r\n"
    body = b"Content-Type: text/plain\r\n\r\ndeepest\r\n"
    for i in range(depth):
        b = f"b{i}".encode()
        body = (
            b'Content-Type: multipart/mixed; boundary="'
            + b
            + b'"\r\n\r\n--'
            + b
            + b"\r\n"
            + body
            + b"--"
            + b
            + b"--\r\n"
        )
    message = parse(head + body)
    assert message.subject == "deep"
    assert any("nest" in d for d in message.defects)


def test_a_part_bomb_is_cut_off_with_a_defect() -> None:
    parts = b"".join(
        b"--b\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n" for _ in range(5000)
    )
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\nSubject: bomb\r\n\r\n'
        + parts
        + b"--b--\r\n"
    )
    message = parse(raw)
    assert message.subject == "bomb"
    assert len(message.attachments) < 1000
    assert any("more than 1000 MIME parts" in d for d in message.defects)
    assert message.raw == raw


FLOODS = {
    "20,000 fields": (b"X-Junk: y\r\n" * 20_000, "more than 10000 header fields"),
    "a 2 MiB block": (
        (b"X-Pad: " + b"p" * 1000 + b"\r\n") * 2_100,
        "header block larger than 1048576 bytes",
    ),
}


@pytest.mark.parametrize(("flood", "limit"), FLOODS.values(), ids=FLOODS)
def test_a_header_flood_is_cut_at_the_limits_with_a_defect(flood: bytes, limit: str) -> None:
    raw = b"Subject: flood\r\nTo: to@example.com\r\n" + flood + b"\r\nbody\r\n"
    digest = summarize(raw, ENV)
    assert (digest.subject, digest.snippet) == ("flood", "body")  # the rest is not body
    message = parse(raw)
    assert message.raw == raw
    assert any(limit in d for d in message.defects), message.defects
    assert (message.subject, message.text.strip()) == ("flood", "body")
    assert 2 < len(message.raw_headers) <= MAX_FIELDS
    assert len(message.headers) == len(message.raw_headers)
    assert sum(len(k) + len(v) for k, v in message.raw_headers) <= MAX_HEAD_SIZE


def test_a_header_flood_does_not_hide_the_mime_body() -> None:
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\nSubject: flood\r\n'
        + b"X-Junk: y\r\n" * 20_000
        + b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
        b'--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="a.pdf"'
        b"\r\n\r\n%PDF\r\n--b--\r\n"
    )
    assert summarize(raw, ENV).attachment_count == 1  # the summary's MIME parse, cut alike
    message = parse(raw)
    assert message.text.strip() == "body"
    assert [a.filename for a in message.attachments] == ["a.pdf"]
    assert len(message.raw_headers) == MAX_FIELDS
