"""Hostile mail meets the parse limits: each message is summarized and fully parsed, its raw
bytes are kept, and a defect says what was cut.

These check what the limits do, not how fast: tests/test_hostile_mail.py delivers the same
messages to a running server and holds it to its response times.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy

import pytest
from bombs import BOMBS, html_mail, with_headers

from mailtrap import Envelope, Message
from mailtrap.message.htmltext import MAX_HTML, html_to_text
from mailtrap.message.mime import MAX_MIME_VALUE, MIME_FLOOR
from mailtrap.message.parsing import (
    MAX_TAG_LENGTH,
    MAX_TAGS,
    normalize_tags,
    parse_message,
    summarize,
)
from mailtrap.message.values import MAX_ADDRESSES, MAX_VALUE, Budget, address_value, text_value

ENVELOPE = Envelope(mail_from="app@example.com", rcpt_tos=("user@example.com",))


def full(raw: bytes) -> Message:
    summary = summarize(raw, ENVELOPE).to_summary(id="x", created=datetime.now(UTC), size=len(raw))
    return parse_message(raw, summary, ENVELOPE)


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_every_bomb_is_summarized_and_parsed_with_its_bytes_kept(name: str) -> None:
    message = full(BOMBS[name])
    assert message.raw == BOMBS[name]
    assert message.to or message.sender or message.subject  # something was read


# -- HTML to text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Hel<b>lo</b> &amp; w&#233;<br>x</p>", "\nHello & wé\nx"),
        ("<head><title>T</title><style>p{}</style></head>A<script>x('</p>')</script>B", "AB"),
        ("a<!-- <p>hidden</p> -->b<!DOCTYPE html>c<?xml x?>d", "abcd"),
        ("1 < 2 and 3 <4", "1 < 2 and 3 <4"),  # a "<" that opens no tag is text
        ("<a title='x>y' href=\"q>r\">link</a>", "link"),  # ">" in a quoted value
        ("<p x=>y</p>", "\ny"),
        ("<SCRIPT>hidden</sCrIpT >shown", "shown"),
    ],
)
def test_html_text_reads_like_a_tokenizer(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("before<!-- never closed <p>after", "before"),
        ("before<a href='never closed>after", "before"),
        ("before<script>never closed", "before"),
        ("before<!never closed", "before"),
    ],
)
def test_what_never_ends_ends_the_text(html: str, text: str) -> None:
    # As end-of-file does in an HTML5 tokenizer; it is also what keeps every scan linear.
    assert html_to_text(html) == text


def test_html_text_reads_only_the_first_max_html_characters() -> None:
    html = "<p>x</p>" * (MAX_HTML // 8) + "<p>past the limit</p>"
    assert "past" not in html_to_text(html)


def test_deeply_nested_html_still_gives_its_text() -> None:
    assert html_to_text("<div>" * 100_000 + "deep" + "</div>" * 100_000).strip() == "deep"


def test_an_html_bomb_is_searchable_text_not_a_stall() -> None:
    digest = summarize(html_mail("s", b"<b>needle</b>" + b"<a x=" * 40_000), ENVELOPE)
    assert digest.snippet == "needle"


# -- header values --------------------------------------------------------------------------


def test_an_endless_address_list_is_cut_with_defects() -> None:
    message = full(BOMBS["from-400kb-of-commas"])
    assert message.sender is not None
    assert message.sender.address == "a"
    assert f"From header longer than {MAX_VALUE} characters; the rest is not shown" in (
        message.defects
    )
    assert f"more than {MAX_ADDRESSES} addresses in From; the rest are not shown" in (
        message.defects
    )


def test_addresses_over_many_fields_are_capped_per_name() -> None:
    fields = b"".join(
        b"To: " + b",".join(b"u%d@example.com" % (i * 300 + j) for j in range(300)) + b"\r\n"
        for i in range(5)
    )
    message = full(with_headers("many", fields))
    assert len(message.to) == MAX_ADDRESSES
    assert message.to[-1].address == f"u{MAX_ADDRESSES - 1}@example.com"
    assert f"more than {MAX_ADDRESSES} addresses in To; the rest are not shown" in message.defects


def test_nested_comments_are_stored_not_refused() -> None:
    message = full(BOMBS["from-5000-parens"])
    assert message.sender is None
    assert "From header nests too deeply to parse; shown as written" in message.defects


def test_long_encoded_words_decode_as_the_registry_decodes_them() -> None:
    value = " ".join(["=?utf-8?q?caf=C3=A9?=", "plain", "=?iso-8859-1?b?6Q==?="] * 200)
    assert len(value) > 8 * 1024  # past the registry limit: decoded a chunk at a time
    expected = str(policy.default.header_factory("Subject", value))
    assert text_value("Subject", value, []) == expected


def test_a_spent_budget_shows_values_as_written_with_one_defect() -> None:
    defects: list[str] = []
    budget = Budget(registry=100, linear=100)
    encoded = "=?utf-8?q?caf=C3=A9?="
    assert text_value("Subject", encoded, defects, budget) == "café"
    assert text_value("Subject", encoded * 10, defects, budget) == encoded * 10
    assert address_value("To", "(x) a@example.com" * 10, defects, budget) == []
    assert defects == ["header fields too large to decode in full; some are shown as written"]


def test_many_hostile_fields_spend_one_budget() -> None:
    message = full(BOMBS["500-cc-fields-of-comments"])
    assert "header fields too large to decode in full; some are shown as written" in (
        message.defects
    )


# -- MIME headers and tags --------------------------------------------------------------------


def test_a_huge_part_header_is_cut_and_the_part_still_read() -> None:
    message = full(BOMBS["part-content-type-1mb"])
    assert message.text.strip() == "inside"
    assert f"Content-Type header longer than {MAX_MIME_VALUE} characters; cut" in message.defects


def test_part_headers_share_one_budget_per_message() -> None:
    parts = b"".join(
        b"--x\r\nContent-Type: application/octet-stream" + b"; a=b" * 1600 + b"\r\n"
        b"Content-Disposition: attachment; filename=f%d.bin\r\n\r\ndata\r\n" % i
        for i in range(20)
    )
    raw = (
        b"Subject: parts\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
        + parts
        + b"--x--\r\n"
    )
    message = full(raw)
    assert len(message.attachments) == 20
    assert f"Content-Type header longer than {MIME_FLOOR} characters; cut" in message.defects


def test_tags_are_capped_with_a_defect() -> None:
    message = full(BOMBS["100000-tags"])
    assert len(message.tags) == MAX_TAGS
    assert f"more than {MAX_TAGS} tags; only the first {MAX_TAGS} are kept" in message.defects
    assert {f"t{i}" for i in range(MAX_TAGS)} == set(message.tags)  # the first ones


def test_normalize_tags_cuts_long_tags_and_keeps_the_first_ones() -> None:
    tags = normalize_tags(["x" * 500, *(f"t{i}" for i in range(200)), "T0"])
    assert len(tags) == MAX_TAGS
    assert "x" * MAX_TAG_LENGTH in tags
    assert "t0" in tags
    assert "T0" not in tags
