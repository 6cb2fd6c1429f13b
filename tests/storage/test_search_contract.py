"""Search semantics (see mailtrap.message.search), identical in every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mailfactory import build_mail, deliver

from mailtrap import Envelope, MessageStore, QueryError
from mailtrap.message.search import MAX_SIZE, MAX_TERMS


@pytest.fixture
def mailbox(store: MessageStore) -> MessageStore:
    deliver(
        store,
        subject="Your invoice 2024-001",
        sender="Shop <billing@shop.example>",
        to="carol@example.com",
        text="Total due: 42 EUR. Thanks for shopping.",
        attachments=(("invoice.pdf", "application/pdf", b"%PDF" + b"x" * 5000),),
    )
    deliver(
        store,
        subject="Order shipped",
        sender="Shop <noreply@shop.example>",
        to="dave+orders@example.com",
        text="Your order has shipped and is on its way.",
    )
    deliver(
        store,
        subject="Café meeting",
        sender="Zoë Ångström <zoe@example.org>",
        to="carol@example.com",
        html="<p>Let's meet at the <b>café</b> tomorrow</p>",
        text=None,
        headers={"X-Tags": "Team, urgent", "Cc": "erin@example.net"},
    )
    deliver(
        store,
        "secret@example.com",
        subject="Password reset",
        sender="auth@app.example",
        to="dave@example.com",
        text="Your code is 314159. It expires soon.",
    )
    return store


def found(store: MessageStore, query: str) -> list[str]:
    return sorted(m.subject for m in store.search(query, limit=100).messages)


@pytest.mark.parametrize(
    ("query", "subjects"),
    [
        ("", ["Café meeting", "Order shipped", "Password reset", "Your invoice 2024-001"]),
        ("invoice", ["Your invoice 2024-001"]),
        ("INVOICE", ["Your invoice 2024-001"]),
        ("invo", ["Your invoice 2024-001"]),  # words match as substrings, as in Mailpit
        ("voice", ["Your invoice 2024-001"]),
        ("314159", ["Password reset"]),  # body text
        ("shipped", ["Order shipped"]),
        ('"on its way"', ["Order shipped"]),
        ('"its on way"', []),  # phrases keep word order
        ('"ship"', ["Order shipped"]),  # quoted phrases too
        ("cafe", ["Café meeting"]),  # accents are ignored
        ("tomorrow", ["Café meeting"]),  # HTML-only body is searchable as text
        ("shop", ["Order shipped", "Your invoice 2024-001"]),
        ("from:billing@shop.example", ["Your invoice 2024-001"]),
        ("from:shop", ["Order shipped", "Your invoice 2024-001"]),
        ("from:zoe", ["Café meeting"]),
        ("from:angstrom", ["Café meeting"]),
        ("to:carol@example.com", ["Café meeting", "Your invoice 2024-001"]),
        ("to:dave", ["Order shipped", "Password reset"]),
        ("cc:erin", ["Café meeting"]),
        ("bcc:secret@example.com", ["Password reset"]),
        ("subject:order", ["Order shipped"]),
        ("subject:shop", []),  # "shop" is only in From and body
        ('subject:"invoice 2024"', ["Your invoice 2024-001"]),
        ("tag:urgent", ["Café meeting"]),
        ("tag:TEAM", ["Café meeting"]),
        ("tag:orders", ["Order shipped"]),  # from the plus-address dave+orders@
        ("tag:urg", []),  # tags match whole
        ("has:attachment", ["Your invoice 2024-001"]),
        ("larger:4k", ["Your invoice 2024-001"]),
        ("-larger:4k", ["Café meeting", "Order shipped", "Password reset"]),
        ("-shop", ["Café meeting", "Password reset"]),
        ("shop -invoice", ["Order shipped"]),
        ('-"on its way" from:shop', ["Your invoice 2024-001"]),
        ("-tag:urgent -has:attachment", ["Order shipped", "Password reset"]),
        ("your code", ["Password reset"]),
        ("nothing-matches-this", []),
        ("!!! ---", ["Café meeting", "Order shipped", "Password reset", "Your invoice 2024-001"]),
    ],
)
def test_query(mailbox: MessageStore, query: str, subjects: list[str]) -> None:
    assert found(mailbox, query) == subjects


def test_message_id_matches_any_part_with_or_without_brackets(mailbox: MessageStore) -> None:
    """As Mailpit's `MessageID LIKE '%...%'`."""
    target = mailbox.search("subject:shipped").messages[0]
    local = target.message_id.split("@")[0]
    assert found(mailbox, f"message-id:{target.message_id}") == ["Order shipped"]
    assert found(mailbox, f"message-id:<{target.message_id.upper()}>") == ["Order shipped"]
    assert found(mailbox, f"message-id:{local[2:-2]}") == ["Order shipped"]
    assert found(mailbox, f"message-id:{local}x") == []


def test_read_flags(mailbox: MessageStore) -> None:
    invoice = mailbox.search("invoice").messages[0]
    mailbox.mark_read([invoice.id])
    assert found(mailbox, "is:read") == ["Your invoice 2024-001"]
    assert "Your invoice 2024-001" not in found(mailbox, "is:unread")
    assert found(mailbox, "-is:unread") == ["Your invoice 2024-001"]
    page = mailbox.search("shop")
    assert (page.total, page.unread) == (2, 1)


def test_dates_compare_with_arrival_time(mailbox: MessageStore) -> None:
    now = datetime.now(UTC)
    tomorrow = (now + timedelta(days=1)).date().isoformat()
    yesterday = (now - timedelta(days=1)).date().isoformat()
    assert len(found(mailbox, f"after:{yesterday}")) == 4
    assert found(mailbox, f"before:{yesterday}") == []
    assert len(found(mailbox, f"before:{tomorrow}")) == 4
    assert found(mailbox, f"after:{(now + timedelta(hours=1)).isoformat()}") == []


def test_search_is_newest_first_and_paginated(store: MessageStore) -> None:
    for i in range(5):
        deliver(store, subject=f"report {i}")
    deliver(store, subject="other")
    page = store.search("report", start=1, limit=2)
    assert [m.subject for m in page.messages] == ["report 3", "report 2"]
    assert (page.total, page.unread, page.start) == (5, 5, 1)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("is:new", "is:read"),
        ("has:wings", "has:attachment"),
        ("larger:huge", "larger:'huge'"),
        ("before:yesterday", r"before:'yesterday' is not a date; use .*2000-01-31"),
        ("after:2000-13-45", r"after:'2000-13-45' is not a date"),
        # Queries no store can run are refused by the parser, naming the value and the limit.
        ("larger:99999999999999999999G", rf"larger:'99999999999999999999G'.*\({MAX_SIZE} bytes"),
        (f"smaller:{'9' * 400}", rf"smaller:'9+' .*\({MAX_SIZE} bytes\); use a smaller size"),
        (f"larger:{MAX_SIZE + 1}", rf"larger:'{MAX_SIZE + 1}'"),
        (" ".join(["-is:read"] * 999), rf"more than {MAX_TERMS} terms.*fewer"),
        (" ".join(f"w{i}" for i in range(MAX_TERMS + 1)), rf"more than {MAX_TERMS} terms"),
        ("tag:\ud800", r"lone surrogate \(U\+D800\) at position 4"),
        ("caf\udce9", r"lone surrogate \(U\+DCE9\) at position 3"),
    ],
)
def test_bad_queries_raise_query_error_naming_the_term(
    store: MessageStore, query: str, names: str
) -> None:
    with pytest.raises(QueryError, match=names):
        store.search(query)


@pytest.mark.parametrize(
    "term",
    [
        "-is:read",  # one SQL condition each: SQLite allows an expression depth of 1000
        "shop",  # one FTS5 MATCH, whose expressions may nest 256 deep
        "-nowhere",  # one FTS5 sub-select each
        "-tag:none",
    ],
)
def test_the_most_terms_a_query_may_have_run_in_every_store(
    mailbox: MessageStore, term: str
) -> None:
    """The term limit is inside what every store can compile, for every kind of term."""
    query = " ".join([term] * MAX_TERMS)
    everything = ["Café meeting", "Order shipped", "Password reset", "Your invoice 2024-001"]
    expected = ["Order shipped", "Your invoice 2024-001"] if term == "shop" else everything
    assert found(mailbox, query) == expected
    with pytest.raises(QueryError, match=f"more than {MAX_TERMS}"):
        mailbox.search(f"{query} {term}")


def test_the_largest_size_is_compared_exactly_in_every_store(mailbox: MessageStore) -> None:
    assert found(mailbox, f"larger:{MAX_SIZE}") == []
    assert len(found(mailbox, f"smaller:{MAX_SIZE}")) == 4
    assert len(found(mailbox, "smaller:8589934591.99G")) == 4  # decimals, not float rounding


def test_a_pasted_url_is_text_not_a_field(store: MessageStore) -> None:
    deliver(store, subject="link", text="Confirm at https://app.example/confirm?t=abc")
    assert found(store, "https://app.example/confirm") == ["link"]


def test_login_matches_the_smtp_auth_user(store: MessageStore) -> None:
    raw = build_mail(subject="authenticated")
    store.add(raw, Envelope("a@example.com", ("b@example.com",), login="App-User"))
    deliver(store, subject="anonymous")
    assert found(store, "login:app-user") == ["authenticated"]
    assert found(store, "-login:app-user") == ["anonymous"]


def test_search_counts_follow_reads_and_deletes(store: MessageStore) -> None:
    """The counts of a plain word search (the FTS-only path in SQLite) and of a combined one
    agree with the messages, whatever has been read or deleted."""
    ids = [deliver(store, subject=f"receipt {i}").id for i in range(6)]
    deliver(store, subject="unrelated")

    def counts(query: str) -> tuple[int, int]:
        page = store.search(query)
        return page.total, page.unread

    assert counts("receipt") == (6, 6)
    store.mark_read([*ids[:2], store.search("unrelated").messages[0].id])
    assert counts("receipt") == (6, 4)
    assert counts("receipt is:unread") == (4, 4)
    store.mark_read(ids[:1], read=False)
    assert counts("receipt") == (6, 5)
    store.delete(ids[1:3])  # one read, one unread
    assert counts("receipt") == (4, 4)
    assert counts("receipt -subject:3") == (3, 3)
    store.mark_read(ids)
    assert counts("receipt") == (4, 0)
