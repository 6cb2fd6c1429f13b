"""The MessageStore contract, run against every implementation (see conftest.IMPLEMENTATIONS).

Only the public protocol is used here, so a networked store can join by adding a factory.
"""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bombs import html_mail
from mailfactory import build_mail, deliver, envelope_for

from mailtrap import (
    Envelope,
    MemoryStore,
    MessageNotFound,
    MessageStore,
    MessageSummary,
    QueryError,
    SQLiteStore,
    StoreClosed,
    StoreDescription,
    StoreEvent,
)
from mailtrap.storage import memory, sqlite
from mailtrap.storage.base import MAX_START


def subjects(page_messages: tuple[MessageSummary, ...]) -> list[str]:
    return [m.subject for m in page_messages]


# -- add / get -----------------------------------------------------------------------------


def test_add_returns_summary_and_get_returns_exact_raw_bytes(store: MessageStore) -> None:
    raw = build_mail(
        subject="Grüße ✓",
        text="hello",
        html="<p>hi</p>",
        attachments=(("a.pdf", "application/pdf", b"%PDF-1.4"),),
    )
    env = Envelope(
        "bounce@example.com",
        ("bob@example.com", "hidden@example.com"),
        peer="127.0.0.1:4000",
        helo="app",
        tls=True,
        login="user1",
    )
    summary = store.add(raw, env)

    assert summary.subject == "Grüße ✓"
    assert summary.sender is not None
    assert summary.sender.address == "alice@example.com"
    assert [a.address for a in summary.to] == ["bob@example.com"]
    assert [a.address for a in summary.bcc] == ["hidden@example.com"]
    assert summary.return_path == "bounce@example.com"
    assert summary.username == "user1"
    assert summary.size == len(raw)
    assert summary.attachment_count == 1
    assert summary.read is False
    assert summary.snippet == "hello"
    assert abs(summary.created - datetime.now(UTC)) < timedelta(minutes=1)

    message = store.get(summary.id)
    assert message.raw == raw
    assert store.get_raw(summary.id) == raw
    assert message.summary() == summary
    assert message.envelope == env
    assert message.text.strip() == "hello"
    assert "<p>hi</p>" in message.html
    assert [(a.filename, a.data) for a in message.attachments] == [("a.pdf", b"%PDF-1.4")]


def test_stored_is_the_raw_bytes_and_what_sits_beside_them_without_a_parse(
    store: MessageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = build_mail(subject="kept", attachments=(("a.txt", "text/plain", b"x"),))
    env = envelope_for(raw, "hidden@example.com")
    summary = store.add(raw, env)
    store.mark_read([summary.id])
    store.set_tags([summary.id], ["later"])

    def no_parse(*args: object) -> None:
        raise AssertionError("stored() must not parse")

    for module in (memory, sqlite):
        monkeypatch.setattr(module, "parse_message", no_parse)
    found = store.stored(summary.id)
    assert found.raw == raw
    assert found.envelope == env
    # The summary is the current one: read and tags change after ingest, the rest never.
    assert found.summary == replace(summary, read=True, tags=("later",))
    with pytest.raises(MessageNotFound, match="nope"):
        store.stored("nope")


def test_ids_are_unique_and_url_safe(store: MessageStore) -> None:
    ids = {deliver(store).id for _ in range(20)}
    assert len(ids) == 20
    assert all(i.replace("-", "").replace("_", "").isalnum() for i in ids)


def test_unknown_id_raises_message_not_found_naming_the_id(store: MessageStore) -> None:
    with pytest.raises(MessageNotFound, match="nope"):
        store.get("nope")
    with pytest.raises(KeyError):
        store.get_raw("nope")


def test_malformed_mail_is_stored_and_returned_unchanged(store: MessageStore) -> None:
    raw = b"Subject: \xff\xfe broken\r\nFrom: <<<\r\nNo colon here\r\n\r\n\x00\x01 body \xc3("
    summary = store.add(raw, Envelope("", ("x@example.com",)))
    assert store.get_raw(summary.id) == raw
    assert store.get(summary.id).raw == raw


def test_submit_returns_a_future_that_resolves_to_the_summary(store: MessageStore) -> None:
    raw = build_mail(subject="via submit")
    future = store.submit(raw, envelope_for(raw))
    summary = future.result(timeout=10)
    assert summary.subject == "via submit"
    assert store.get(summary.id).subject == "via submit"


def test_submit_leaves_the_parse_to_the_store_and_keeps_order(store: MessageStore) -> None:
    # Callers are event loops: a message that takes a while to parse (here ~0.2 s: a
    # megabyte of nested tags) must not hold up the call that hands it over.
    heavy = html_mail("heavy", b"<div>" * 200_000)  # its text and snippet come from the HTML
    light = build_mail(subject="light")
    envelopes = envelope_for(heavy), envelope_for(light)
    began = time.perf_counter()
    futures = [store.submit(heavy, envelopes[0]), store.submit(light, envelopes[1])]
    handed_over = time.perf_counter() - began
    parsed = [f.result(timeout=30) for f in futures]
    took = time.perf_counter() - began
    assert handed_over < took / 4, (handed_over, took)
    assert subjects(store.list().messages) == ["light", "heavy"]  # arrival order
    assert [p.subject for p in parsed] == ["heavy", "light"]


# -- list / count / pagination -------------------------------------------------------------


def test_arriving_mail_is_freed_without_the_cycle_collector(store: MessageStore) -> None:
    # Reference cycles per message (an operation whose callback refers back to it) keep every
    # message's objects, its raw bytes among them, until the cyclic collector runs: under load
    # that was a tenth of the server's CPU, spent on the threads that answer SMTP.
    mail = [build_mail(subject=f"mail {n}", text=f"body {n}") for n in range(21)]
    arriving = [(raw, envelope_for(raw)) for raw in mail]  # the email package makes cycles
    store.add(*arriving.pop())  # warm-up: connections, caches
    gc.collect()
    gc.disable()
    try:
        for raw, envelope in arriving:
            store.submit(raw, envelope).result(timeout=10)
        in_cycles = gc.collect()
    finally:
        gc.enable()
    assert in_cycles < 20, f"20 messages left {in_cycles} objects only the cycle collector frees"


def test_list_is_newest_first_and_paginated(store: MessageStore) -> None:
    for i in range(7):
        deliver(store, subject=f"m{i}")
    page = store.list(limit=3)
    assert subjects(page.messages) == ["m6", "m5", "m4"]
    assert (page.total, page.unread, page.start) == (7, 7, 0)
    assert subjects(store.list(start=6, limit=3).messages) == ["m0"]
    assert store.list(start=10).messages == ()
    assert store.count() == 7


@pytest.mark.parametrize(("start", "limit"), [(-1, 10), (0, 0), (0, -5), (0, 10**9)])
def test_list_rejects_nonsense_page_arguments(store: MessageStore, start: int, limit: int) -> None:
    with pytest.raises(ValueError, match=str(start if start < 0 else limit)):
        store.list(start=start, limit=limit)


def test_a_start_up_to_the_limit_is_an_empty_page_and_beyond_it_an_error(
    store: MessageStore,
) -> None:
    """Both stores once failed past 64 bits (SQLite's OFFSET, itertools.islice); the bound
    makes every store answer the same, with a ValueError naming the value and the limit."""
    deliver(store, subject="only")
    for page in (store.list(start=MAX_START), store.search("only", start=MAX_START)):
        assert (page.messages, page.total, page.start) == ((), 1, MAX_START)
    for start in (MAX_START + 1, 2**63):
        with pytest.raises(ValueError, match=rf"{MAX_START}, got {start}"):
            store.list(start=start)
        with pytest.raises(ValueError, match=rf"{MAX_START}, got {start}"):
            store.search("only", start=start)


# -- read flags and deletion ----------------------------------------------------------------


def test_mark_read_and_unread(store: MessageStore) -> None:
    a, b = deliver(store), deliver(store)
    assert store.mark_read([a.id, "unknown"]) == 1
    assert store.get(a.id).read is True
    assert store.count(unread=True) == 1
    assert store.list().unread == 1
    assert store.mark_read([a.id, b.id], read=False) == 2
    assert store.count(unread=True) == 2


def test_delete_some_then_all(store: MessageStore) -> None:
    a, b, c = deliver(store), deliver(store), deliver(store)
    assert store.delete([a.id, "unknown", a.id]) == 1
    with pytest.raises(MessageNotFound):
        store.get(a.id)
    assert [m.id for m in store.list().messages] == [c.id, b.id]
    store.mark_read([b.id])
    assert store.delete_all() == 2
    assert store.count() == 0
    assert store.count(unread=True) == 0
    assert store.list().total == 0
    assert store.search("Hello").total == 0


def test_retention_prunes_the_oldest(store_factory) -> None:  # type: ignore[no-untyped-def]
    store = store_factory(max_messages=3)
    events: list[StoreEvent] = []
    store.subscribe(events.append)
    first = [deliver(store, subject=f"m{i}") for i in range(5)]
    assert subjects(store.list().messages) == ["m4", "m3", "m2"]
    assert store.count() == 3
    deleted = [i for e in events if e.kind == "delete" for i in e.ids]
    assert deleted == [first[0].id, first[1].id]
    with pytest.raises(MessageNotFound):
        store.get(first[0].id)


def test_zero_max_messages_keeps_everything(store_factory) -> None:  # type: ignore[no-untyped-def]
    store = store_factory(max_messages=0)
    for _ in range(30):
        deliver(store)
    assert store.count() == 30


def test_negative_max_messages_is_rejected(store_factory) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="-1"):
        store_factory(max_messages=-1)


# -- events ----------------------------------------------------------------------------------


def test_subscribers_see_every_committed_change_in_order(store: MessageStore) -> None:
    events: list[StoreEvent] = []
    unsubscribe = store.subscribe(events.append)
    a = deliver(store)
    store.mark_read([a.id])
    store.mark_read([a.id])  # no change, no event
    store.delete([a.id])
    deliver(store)
    store.delete_all()
    unsubscribe()
    deliver(store)

    assert [e.kind for e in events] == ["new", "update", "delete", "new", "delete"]
    assert events[0].summary == a
    assert events[0].ids == (a.id,)
    assert events[1].ids == (a.id,)
    assert events[1].read is True
    assert events[2].ids == (a.id,)
    assert events[4].all is True


def test_a_failing_subscriber_does_not_break_writes(store: MessageStore) -> None:
    def boom(event: StoreEvent) -> None:
        raise RuntimeError("subscriber bug")

    seen: list[StoreEvent] = []
    store.subscribe(boom)
    store.subscribe(seen.append)
    summary = deliver(store)
    assert store.get(summary.id).id == summary.id
    assert [e.kind for e in seen] == ["new"]


def test_a_subscriber_wanting_no_summaries_still_gets_this_processs_mail_with_them(
    store: MessageStore,
) -> None:
    asked: list[bool] = []
    plain: list[StoreEvent] = []
    decided: list[StoreEvent] = []

    def wants() -> bool:
        asked.append(True)
        return False

    store.subscribe(plain.append, summaries=False)
    store.subscribe(decided.append, summaries=wants)
    summary = deliver(store)
    assert [(e.kind, e.ids, e.summary) for e in plain] == [("new", (summary.id,), summary)]
    assert [(e.kind, e.ids, e.summary) for e in decided] == [("new", (summary.id,), summary)]
    assert not asked  # asked only for another process's mail


# -- concurrency and lifecycle ---------------------------------------------------------------


def test_parallel_writers_and_readers_lose_nothing(store: MessageStore) -> None:
    errors: list[BaseException] = []
    ids: list[str] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        try:
            for i in range(25):
                s = deliver(store, subject=f"w{n}-{i}")
                with lock:
                    ids.append(s.id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(50):
                store.list(limit=10)
                store.search("w1")
                store.count()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    threads += [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert len(set(ids)) == 200
    assert store.count() == 200
    assert {m.id for m in store.list(limit=500).messages} == set(ids)


def test_closed_store_refuses_writes_and_close_is_idempotent(store: MessageStore) -> None:
    store.close()
    store.close()
    raw = build_mail()
    with pytest.raises(StoreClosed, match="closed"):
        store.add(raw, envelope_for(raw))


def test_tags_counts_each_tag_once_ignoring_case(store: MessageStore) -> None:
    assert store.tags() == {}
    deliver(store, headers={"X-Tags": "beta, Alpha"})
    deliver(store, "dev+signup@example.com", headers={"X-Tags": "ALPHA"})
    a = deliver(store, headers={"X-Tags": "gone"})
    store.delete([a.id])
    assert list(store.tags().items()) == [("Alpha", 2), ("beta", 1), ("signup", 1)]


def test_set_tags_replaces_tags_and_feeds_search(store: MessageStore) -> None:
    a = deliver(store, headers={"X-Tags": "old"})
    b = deliver(store)
    events: list[StoreEvent] = []
    store.subscribe(events.append)
    assert store.set_tags([a.id, b.id, "unknown"], [" new ", "Other", "NEW", ""]) == 2
    assert store.get(a.id).tags == ("new", "Other")
    assert [m.tags for m in store.list().messages] == [("new", "Other")] * 2
    assert store.tags() == {"new": 2, "Other": 2}
    assert sorted(store.ids("tag:other")) == sorted([a.id, b.id])
    assert store.ids("tag:old") == []
    assert store.ids("other") == [b.id, a.id]  # tags are free text too
    assert [(e.kind, e.ids, e.tags) for e in events] == [("update", (a.id, b.id), ("new", "Other"))]
    store.set_tags([a.id], [])
    assert store.get(a.id).tags == ()


def test_ids_lists_matches_newest_first(store: MessageStore) -> None:
    a = deliver(store, subject="report one")
    deliver(store, subject="other")
    c = deliver(store, subject="report two")
    assert store.ids("report") == [c.id, a.id]
    assert len(store.ids()) == 3
    with pytest.raises(QueryError):
        store.ids("is:bogus")


def test_storage_size_grows_with_mail(store: MessageStore) -> None:
    before = store.storage_size()
    for _ in range(20):
        deliver(store, text="x" * 5000)
    assert store.storage_size() >= before + 20 * 5000 * 0.5


def test_describe_names_the_kind_and_where_the_mail_is(store: MessageStore) -> None:
    description = store.describe()
    assert isinstance(description, StoreDescription)
    assert description.kind
    if description.location is not None:  # on a server: where, without a password
        assert description.path is None
        assert description.database == description.location
        assert str(description) == f"{description.kind} at {description.location}"
    elif description.path is None:  # the mail lives only as long as the process
        assert description.database == description.kind
        assert str(description) == f"{description.kind} (lost on exit)"
    else:  # the file the mail is in, which a restart opens again
        assert description.path.is_file()
        assert description.database == str(description.path)
        assert str(description) == f"{description.kind} at {description.path}"
    deliver(store)
    assert store.describe() == description  # what a store is does not change with its mail


def test_now_is_the_clock_created_is_read_from(store: MessageStore) -> None:
    before = store.now()
    summary = deliver(store)
    after = store.now()
    assert before.tzinfo is not None
    assert before <= summary.created <= after
    # One clock for every process sharing the store: this machine's agrees within reason.
    assert abs((after - datetime.now(UTC)).total_seconds()) < 5


def test_each_store_describes_itself(tmp_path: Path) -> None:
    assert MemoryStore().describe() == StoreDescription("memory")
    store = SQLiteStore(tmp_path / "mail.db")
    try:
        assert store.describe() == StoreDescription("SQLite", tmp_path / "mail.db")
    finally:
        store.close()


def test_neighbors_are_the_next_newer_and_older(store: MessageStore) -> None:
    a, b, c = deliver(store), deliver(store), deliver(store)
    assert store.neighbors(b.id) == (c.id, a.id)
    assert store.neighbors(c.id) == (None, b.id)
    assert store.neighbors(a.id) == (b.id, None)
    store.delete([b.id])
    assert store.neighbors(a.id) == (c.id, None)
    with pytest.raises(MessageNotFound):
        store.neighbors(b.id)
