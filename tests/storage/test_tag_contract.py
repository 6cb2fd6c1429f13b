"""The MessageStore contract for renaming and deleting tags, and for `--tag` rules at ingest,
run against every implementation (see conftest.IMPLEMENTATIONS)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mailfactory import build_mail, deliver, envelope_for

from mailtrap import MessageStore, StoreEvent, TagExists, TagNotFound
from mailtrap.storage.tagrules import parse_tag_rules

StoreFactory = Callable[..., MessageStore]  # conftest's store_factory


def test_rename_tag_renames_it_on_every_message_and_feeds_search(store: MessageStore) -> None:
    a = deliver(store, headers={"X-Tags": "old, keep"})
    b = deliver(store, headers={"X-Tags": "OLD"})
    c = deliver(store, headers={"X-Tags": "other"})
    events: list[StoreEvent] = []
    store.subscribe(events.append)

    assert store.rename_tag("Old", "  brand   new! ") == 2

    assert store.get(a.id).tags == ("brand new", "keep")
    assert store.get(b.id).tags == ("brand new",)
    assert store.get(c.id).tags == ("other",)
    assert store.tags() == {"brand new": 2, "keep": 1, "other": 1}
    assert store.ids('tag:"brand new"') == [b.id, a.id]
    assert store.ids("brand") == [b.id, a.id]  # the free-text index follows
    assert store.ids("tag:old") == []
    assert store.ids("old") == []
    # One event per new set of tags: an event gives all its ids the same tags.
    assert {e.ids: (e.kind, e.tags) for e in events} == {
        (a.id,): ("update", ("brand new", "keep")),
        (b.id,): ("update", ("brand new",)),
    }


def test_rename_tag_to_another_spelling_respells_it(store: MessageStore) -> None:
    a = deliver(store, headers={"X-Tags": "signup"})
    b = deliver(store, headers={"X-Tags": "SignUp"})
    assert store.rename_tag("SIGNUP", "SignUp") == 2
    assert store.tags() == {"SignUp": 2}
    assert store.get(a.id).tags == store.get(b.id).tags == ("SignUp",)


def test_rename_tag_refuses_unknown_tags_taken_names_and_empty_names(
    store: MessageStore,
) -> None:
    a = deliver(store, headers={"X-Tags": "one, two"})
    with pytest.raises(TagNotFound, match="'missing'"):
        store.rename_tag("missing", "x")
    with pytest.raises(TagExists, match=r"'TWO'.*already"):
        store.rename_tag("one", "TWO")
    with pytest.raises(ValueError, match="no tag name"):
        store.rename_tag("one", "!!!")
    assert store.get(a.id).tags == ("one", "two")


def test_delete_tag_takes_it_off_every_message_and_keeps_the_messages(
    store: MessageStore,
) -> None:
    a = deliver(store, headers={"X-Tags": "gone, kept"})
    b = deliver(store, headers={"X-Tags": "Gone"})
    events: list[StoreEvent] = []
    store.subscribe(events.append)

    assert store.delete_tag("GONE") == 2

    assert store.count() == 2
    assert store.get(a.id).tags == ("kept",)
    assert store.get(b.id).tags == ()
    assert store.tags() == {"kept": 1}
    assert store.ids("tag:gone") == []
    assert store.ids("gone") == []
    assert {e.ids: (e.kind, e.tags) for e in events} == {
        (a.id,): ("update", ("kept",)),
        (b.id,): ("update", ()),
    }
    with pytest.raises(TagNotFound):
        store.delete_tag("gone")


def test_tag_rules_tag_arriving_mail_before_its_new_event(store_factory: StoreFactory) -> None:
    rules = parse_tag_rules(
        'Invoices=subject:invoice "Shop,VIP=from:shop@example.com" Header=x-campaign-id'
    )
    store = store_factory(tag_rules=rules)
    events: list[StoreEvent] = []
    store.subscribe(events.append)

    invoice = deliver(store, subject="Your invoice 42", headers={"X-Tags": "billing"})
    shop = deliver(store, sender="Shop <shop@example.com>", subject="Sale")
    header = deliver(store, headers={"X-Campaign-ID": "7"})  # Mailpit's raw-text match
    plain = deliver(store, subject="nothing to see")

    assert invoice.tags == ("billing", "Invoices")
    assert shop.tags == ("Shop", "VIP")
    assert header.tags == ("Header",)
    assert plain.tags == ()
    assert [e.summary.tags for e in events if e.summary is not None] == [
        ("billing", "Invoices"),
        ("Shop", "VIP"),
        ("Header",),
        (),
    ]
    assert store.ids("tag:vip") == [shop.id]  # stored and indexed like any other tag
    assert store.ids("invoices") == [invoice.id]
    assert store.get(invoice.id).tags == ("billing", "Invoices")


def test_tag_rules_see_the_mail_as_a_search_does(store_factory: StoreFactory) -> None:
    store = store_factory(
        tag_rules=parse_tag_rules("Big=larger:2k Attached=has:attachment Signup=tag:signup")
    )
    raw = build_mail(text="x" * 4000, attachments=(("a.pdf", "application/pdf", b"%PDF"),))
    big = store.add(raw, envelope_for(raw, "dev+signup@example.com"))
    small = deliver(store)
    # The plus-address tag is there first, so its spelling wins over the rule's.
    assert big.tags == ("Attached", "Big", "signup")
    assert small.tags == ()
