"""Mailpit's search syntax, all of it (issue 15), the same in every store.

Each case names what Mailpit does (internal/storage/search.go, `searchQueryBuilder`) that
mailtrap did not: the filters, `!`, dates with a time zone, unknown `name:` as text, substring
matching, attachment file names, and scripts other than Latin.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta

import pytest
from mailfactory import build_mail, deliver, envelope_for
from searchmail import INLINE

from mailtrap import MessageStore, QueryError
from mailtrap.message.search import parse_query
from mailtrap.message.searchtext import fold

SENDER, TO = "Mailer <noreply@mailer.example>", "user@example.net"
EVERY = [
    "Hot deals",
    "Invoice 12345 ready",
    "Logo preview",
    "ご注文の確認",
    "주문 확인",
    "您的订单已发货",
    "Ελληνικά νέα",
]


@pytest.fixture
def mailbox(store: MessageStore) -> MessageStore:
    deliver(
        store,
        subject="Invoice 12345 ready",
        sender="Alice Liddell <alice@wonderland.example>",
        to="Bob <bob@example.com>",
        text="Your invoice total is 99 XQ. Ticket ref:ABC-9.",
        headers={"Reply-To": "Billing Desk <billing@desk.example>"},
        attachments=(("report.csv", "text/csv", b"a,b\n1,2\n"),),
    )
    for subject, text in [
        ("Ελληνικά νέα", "Καλημέρα κόσμε"),
        ("ご注文の確認", "ご注文ありがとうございます"),
        ("주문 확인", "주문이 접수되었습니다"),
        ("您的订单已发货", "您的订单正在路上"),
        ("Hot deals 🔥", "Everything must go"),
    ]:
        tags = {"X-Tags": "news"} if "νέα" in subject else {}
        deliver(store, subject=subject, sender=SENDER, to=TO, text=text, headers=tags)
    store.add(INLINE, envelope_for(INLINE))
    return store


def found(store: MessageStore, query: str) -> list[str]:
    return sorted(m.subject.removesuffix(" 🔥") for m in store.search(query, limit=100).messages)


@pytest.mark.parametrize(
    ("query", "subjects"),
    [
        # Filters Mailpit has: addressed: (From, To, Cc, Bcc, Reply-To), reply-to:, is:tagged,
        # has:inline.
        ("addressed:billing@desk", ["Invoice 12345 ready"]),
        ("addressed:wonderland", ["Invoice 12345 ready"]),
        ("addressed:bob", ["Invoice 12345 ready"]),
        ("reply-to:desk.example", ["Invoice 12345 ready"]),
        ('reply-to:"Billing Desk"', ["Invoice 12345 ready"]),
        ("reply-to:alice", []),
        ("is:tagged", ["Ελληνικά νέα"]),
        ("has:inline", ["Logo preview"]),
        ("has:inlines", ["Logo preview"]),
        ("-has:inline", [s for s in EVERY if s != "Logo preview"]),
        # `!` excludes, as `-` does.
        ("!from:alice", [s for s in EVERY if s != "Invoice 12345 ready"]),
        ("!is:tagged", [s for s in EVERY if s != "Ελληνικά νέα"]),
        ("!invoice", [s for s in EVERY if s != "Invoice 12345 ready"]),
        ("!has:attachment !has:inline !is:tagged", [s for s in EVERY if s[0] in "H주ご您"]),
        # An unknown `name:` is text, as in Mailpit.
        ("ref:abc-9", ["Invoice 12345 ready"]),
        ("subjet:hello", []),
        # Substrings, as Mailpit's LIKE '%...%'.
        ("from:lice", ["Invoice 12345 ready"]),
        ("voice", ["Invoice 12345 ready"]),
        ("2345", ["Invoice 12345 ready"]),
        ("message-id:7781@studio", ["Logo preview"]),
        ('"ice 1234"', ["Invoice 12345 ready"]),
        ("xq", ["Invoice 12345 ready"]),  # shorter than a trigram: scanned, not looked up
        ("-xq", [s for s in EVERY if s != "Invoice 12345 ready"]),
        ("xq invoice", ["Invoice 12345 ready"]),
        ("xq -invoice", []),
        ("to:ob", ["Invoice 12345 ready"]),
        # Attachment file names are text.
        ("report.csv", ["Invoice 12345 ready"]),
        ("csv", ["Invoice 12345 ready"]),
        # Scripts other than Latin; accents are folded only where they are accents.
        ("Ελληνικά", ["Ελληνικά νέα"]),
        ("ελληνικα", ["Ελληνικά νέα"]),
        ("καλημέρα", ["Ελληνικά νέα"]),
        ("ご注文", ["ご注文の確認"]),
        ("こ注文", []),  # the voicing mark makes another letter, not an accent
        ("주문", ["주문 확인"]),
        ("订单", ["您的订单已发货"]),
        ("正在", ["您的订单已发货"]),
        ("🔥", ["Hot deals"]),
        ("💧", []),
    ],
)
def test_mailpit_query(mailbox: MessageStore, query: str, subjects: list[str]) -> None:
    assert found(mailbox, query) == sorted(subjects)


@pytest.mark.parametrize(
    "date",
    [
        "2000/01/01",
        "2000-01-01",
        "1 Jan 2000",
        "Jan 1 2000",
        "January 1, 2000",
        "2000-01-01T00:00:00Z",
        "2000/01/01 10:30",
        "Sat, 01 Jan 2000 10:30:00 +0100",
    ],
)
def test_mailpit_date_forms(mailbox: MessageStore, date: str) -> None:
    assert len(found(mailbox, f'after:"{date}"')) == len(EVERY)
    assert found(mailbox, f'before:"{date}"') == []
    assert found(mailbox, f'!after:"{date}"') == []


def test_a_date_without_an_offset_is_in_the_time_zone_given(mailbox: MessageStore) -> None:
    """`tz` (Mailpit's parameter of /search) places a date: 13 hours from now on the clock
    is in the future in UTC, and an hour ago on the clock of UTC+14."""
    wall = (datetime.now(UTC) + timedelta(hours=13)).strftime("%Y-%m-%d %H:%M")
    query = f'after:"{wall}"'
    assert mailbox.search(parse_query(query, tz="UTC")).total == 0
    assert mailbox.search(parse_query(query, tz="Pacific/Kiritimati")).total == len(EVERY)
    assert mailbox.search(parse_query(f'before:"{wall}"', tz="Etc/GMT-14")).total == 0


@pytest.mark.parametrize(
    ("query", "tz", "names"),
    [
        ("after:someday", None, r"after:'someday' is not a date; use a form such as"),
        ("after:2000-01-01", "Mars/Olympus", r"unknown time zone 'Mars/Olympus'; use an IANA"),
        ("has:pdf", None, r"has:'pdf'; use has:attachment, has:inline"),
        ("is:starred", None, r"is:'starred'; use is:read, is:tagged, is:unread"),
    ],
)
def test_what_mailtrap_reports_instead_of_ignoring(
    store: MessageStore, query: str, tz: str | None, names: str
) -> None:
    """Mailpit logs and ignores these; a 400 naming them is friendlier, and Mailpit's own
    clients never send them."""
    with pytest.raises(QueryError, match=names):
        store.search(parse_query(query, tz=tz))


def test_new_tags_are_searchable_as_text_and_tagged(store: MessageStore) -> None:
    summary = deliver(store, subject="plain")
    assert found(store, "is:tagged") == []
    store.set_tags([summary.id], ["Release Notes"])
    assert found(store, "is:tagged") == ["plain"]
    assert found(store, "lease no") == ["plain"]
    assert found(store, "tag:release") == []  # tag: matches the whole tag
    assert found(store, 'tag:"release notes"') == ["plain"]
    store.rename_tag("Release Notes", "Changelog")
    assert found(store, "lease no") == []
    assert found(store, "changel") == ["plain"]


def test_inline_parts_count_only_with_a_content_id(store: MessageStore) -> None:
    raw = build_mail(subject="attached", attachments=(("logo.png", "image/png", b"png"),))
    store.add(raw, envelope_for(raw))
    assert found(store, "has:inline") == []
    assert found(store, "has:attachment logo.png") == ["attached"]


def test_the_ascii_shortcut_of_the_folding_agrees_with_the_unicode_path() -> None:
    """Index and query must fold alike: ASCII text takes a shortcut, the rest Unicode's tables."""
    rng = random.Random(15)
    alphabet = string.printable + "\x00\x7f"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        assert fold("é " + text) == f"e {fold(text)}".strip(), repr(text)
