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
    with pytest.raises(ExtractionError, match="matching 'unsubscribe', found no"):
        m.link("unsubscribe")


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
