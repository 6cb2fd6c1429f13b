"""Links and one-time codes, as tests pull them out of messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from mailfactory import build_mail

from mailtrap import Envelope, Message
from mailtrap.message.extract import ExtractionError, codes, links
from mailtrap.message.parsing import parse_message, summarize


def message(text: str | None = None, html: str | None = None) -> Message:
    raw = build_mail(text=text, html=html)
    env = Envelope("a@example.com", ("b@example.com",))
    summary = summarize(raw, env).to_summary(id="m1", created=datetime.now(UTC), size=len(raw))
    return parse_message(raw, summary, env)


def parse_with(attachments: tuple[tuple[str, str, bytes], ...]) -> Message:
    raw = build_mail(text="see attached", attachments=attachments)
    env = Envelope("a@example.com", ("b@example.com",))
    summary = summarize(raw, env).to_summary(id="m1", created=datetime.now(UTC), size=len(raw))
    return parse_message(raw, summary, env)


def test_links_from_html_hrefs_with_entities_and_from_text() -> None:
    html = (
        '<a href="https://app.example/confirm?u=1&amp;t=abc">Confirm</a> '
        '<a href="mailto:help@app.example">help</a> <a href="">empty</a> '
        '<a href="https://app.example/confirm?u=1&amp;t=abc">again</a>'
    )
    text = "Confirm: https://app.example/confirm?u=1&t=abc.\n(or https://app.example/alt)"
    assert links(text, html) == [
        "https://app.example/confirm?u=1&t=abc",
        "mailto:help@app.example",
        "https://app.example/alt",
    ]


def test_link_picks_exactly_one_or_explains() -> None:
    m = message(text="Reset: https://app.example/reset/tok1 or https://app.example/help")
    assert m.link("reset") == "https://app.example/reset/tok1"
    assert m.link(re.compile(r"/reset/\w+$")) == "https://app.example/reset/tok1"
    with pytest.raises(AssertionError, match=r"found 2.*\n  - https://app.example/reset/tok1"):
        m.link()
    with pytest.raises(ExtractionError, match="containing 'unsubscribe', found none"):
        m.link("unsubscribe")
    with pytest.raises(ExtractionError, match=r"matching re.compile\(r'/x\\d'\), found none"):
        m.link(re.compile(r"/x\d"))


def test_a_str_pattern_is_a_substring_and_one_that_reads_as_a_regex_says_so() -> None:
    """Issue 17: `code(r"\\b\\d{6}\\b")` failed with just "found no". A str is a plain
    substring (so `?` and `.` in a URL need no escaping); the failure now says which rule
    applied, and what the regex would have found."""
    m = message(text="Your code is 424242. Visit https://app.example/c?t=1 (ref 9876).")
    assert m.link("c?t=1") == "https://app.example/c?t=1"
    assert m.code(re.compile(r"\b\d{6}\b")) == "424242"
    with pytest.raises(ExtractionError) as failed:
        m.code(r"\b\d{6}\b")
    assert str(failed.value).splitlines() == [
        r"expected exactly one code containing '\\b\\d{6}\\b', found none; "
        "the message has these codes:",
        "  - 424242",
        "  - 9876",
        r"a str is a plain substring, not a regex; for a regex pass re.compile(r'\b\d{6}\b'), "
        "which finds '424242'",
    ]
    with pytest.raises(ExtractionError, match=r"re.compile\('\[0-9\]\{9\}'\)$"):
        m.code("[0-9]{9}")  # a regex that finds nothing either still gets the note
    with pytest.raises(ExtractionError) as plain:
        m.code("55")
    assert "regex" not in str(plain.value)  # a plain miss stays a plain miss


def test_link_by_anchor_text() -> None:
    html = (
        '<a href="https://app.example/reset?t=1">Reset   <b>your</b> Password</a> '
        '<a href="https://app.example/help">Help</a> '
        '<a href="https://app.example/">  <img src="logo.png" alt="Home"> </a> '
        '<a href="https://app.example/help">help centre</a>'
    )
    m = message(text=None, html=html)
    assert m.link(text="reset your password") == "https://app.example/reset?t=1"
    assert m.link(text="home") == "https://app.example/"  # an image's alt text
    assert m.link(text=re.compile(r"^Help$")) == "https://app.example/help"
    assert m.link("app.example", text="help") == "https://app.example/help"  # one URL, twice
    with pytest.raises(ExtractionError) as failed:
        m.link(text="unsubscribe")
    assert str(failed.value).splitlines() == [
        "expected exactly one link with text containing 'unsubscribe', found none; "
        "the message has these links:",
        "  - https://app.example/reset?t=1 'Reset your Password'",
        "  - https://app.example/help 'Help' 'help centre'",
        "  - https://app.example/ 'Home'",
    ]


def test_attachment_by_glob_or_regex() -> None:
    files = (
        ("Invoice-2024.PDF", "application/pdf", b"%PDF-1"),
        ("terms.pdf", "application/pdf", b"%PDF-2"),
        ("notes.txt", "text/plain", b"hi"),
    )
    m = parse_with(files)
    assert m.attachment("*.txt").data == b"hi"
    assert m.attachment("invoice-*.pdf").data == b"%PDF-1"  # case ignored
    assert m.attachment("terms.pdf").filename == "terms.pdf"  # no wildcard: the whole name
    assert m.attachment(re.compile(r"^Invoice")).filename == "Invoice-2024.PDF"
    with pytest.raises(ExtractionError) as failed:
        m.attachment("*.pdf")
    assert str(failed.value).splitlines() == [
        "expected exactly one attachment named '*.pdf' (a glob, case ignored), found 2; "
        "the message has these attachments:",
        "  - Invoice-2024.PDF",
        "  - terms.pdf",
        "  - notes.txt",
        "pass a pattern to pick one",
    ]
    with pytest.raises(ExtractionError, match="found none; the message has these attachments: "):
        message().attachment("*.pdf")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Your code is 424242.", ["424242"]),
        ("Code: 8812 (valid until 2024-06-02 10:30)", ["8812"]),
        ("Call +1 555 0100 or 030-1234567; order 123456789", []),
        ("Use A7K9Q2 to sign in", ["A7K9Q2"]),
        ("PASSWORD and ABCDEF are words", []),
        ("Amount 1,234.56 EUR, version 3.1415", []),
    ],
)
def test_codes(text: str, expected: list[str]) -> None:
    assert codes(text, "") == expected


def test_code_falls_back_to_html_and_explains_ambiguity() -> None:
    assert message(text=None, html="<p>Your code: <b>909090</b></p>").code() == "909090"
    two = message(text="old 1111, new 2222")
    assert two.code("2") == "2222"
    with pytest.raises(ExtractionError, match="found 2"):
        two.code()


def test_repr_names_the_message() -> None:
    assert (
        repr(message()) == "<Message m1 from alice@example.com to bob@example.com subject='Hello'>"
    )
