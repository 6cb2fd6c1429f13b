"""Instances sharing one PostgreSQL schema over time: retention that is never under the limit
and announces each deletion once, the sweeper that prunes when other instances' writes (or a
lowered limit) left the schema over it, counter rows folded at each start with exact counts,
and an in-process `Mailbox` hearing mail another instance stored."""

from __future__ import annotations

import smtplib
import threading
import time

import psycopg
import pytest
from mailfactory import build_mail, deliver, envelope_for
from polling import until
from psycopg import sql

from mailtrap import Mailbox, SMTPServer, StoreEvent
from mailtrap.storage.postgres import PostgresStore
from mailtrap.storage.postgres import store as store_module
from mailtrap.storage.postgres._upkeep import FOLDED


def _deleted(events: list[StoreEvent]) -> list[str]:
    return [id for e in list(events) if e.kind == "delete" for id in e.ids]


def _truth(url: str, schema: str) -> tuple[int, int, int]:
    """(messages, unread messages, counters rows) as the tables hold them, in one snapshot."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            sql.SQL(
                "SELECT (SELECT count(*) FROM {0}.messages),"
                " (SELECT count(*) FROM {0}.messages WHERE NOT read),"
                " (SELECT count(*) FROM {0}.counters)"
            ).format(sql.Identifier(schema))
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def test_retention_with_two_writers_never_over_prunes_and_announces_each_deletion_once(
    postgres_url: str, schema: str
) -> None:
    """Two instances with `max_messages=5` write 25 messages each at once, while a third
    connection samples the count: never above 5, never below 5 once it got there, the
    counters' sum always the messages' count, and each deletion heard once by each."""
    limit = 5
    stores = [
        PostgresStore(postgres_url, schema=schema, max_messages=limit, instance=name)
        for name in ("a", "b")
    ]
    heard: list[list[StoreEvent]] = [[], []]
    for store, events in zip(stores, heard, strict=True):
        store.subscribe(events.append)  # each store calls its subscribers on one thread
    added: list[str] = []
    samples: list[tuple[int, int]] = []
    writing = threading.Event()
    writing.set()

    def send(store: PostgresStore) -> None:
        for _ in range(25):
            added.append(deliver(store).id)

    def sample() -> None:
        query = sql.SQL(
            "SELECT (SELECT count(*) FROM {0}.messages),"
            " (SELECT coalesce(sum(total), 0) FROM {0}.counters)"
        ).format(sql.Identifier(schema))
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            deadline = time.monotonic() + 60
            while writing.is_set() and time.monotonic() < deadline:
                row = conn.execute(query).fetchone()
                assert row is not None
                samples.append((int(row[0]), int(row[1])))
                time.sleep(0.001)

    sampler = threading.Thread(target=sample)
    threads = [threading.Thread(target=send, args=(s,)) for s in stores]
    try:
        sampler.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        writing.clear()
        sampler.join(timeout=10)
        assert len(added) == 50
        assert stores[0].count() == stores[1].count() == limit

        # Each sample is one snapshot: the trigger-kept counts always match the rows.
        assert all(messages == counted for messages, counted in samples)
        counts = [messages for messages, _ in samples]
        assert max(counts) <= limit
        reached = counts.index(limit)  # ValueError (a failure) if never seen while writing
        assert len(counts) - reached >= 10, f"too few samples at the limit to judge: {counts}"
        assert min(counts[reached:]) == limit, counts

        # Each instance hears every deletion, its own and the other's, exactly once.
        assert until(lambda: all(len(_deleted(e)) >= 45 for e in heard), seconds=5)
        for events in heard:
            gone = _deleted(events)
            assert len(gone) == len(set(gone)) == 45
            assert set(gone) == set(_deleted(heard[0]))
            # (A message the other instance pruned before this one loaded it is not "new".)
            assert {e.ids[0] for e in events if e.kind == "new"} <= set(added)
        kept = set(added) - set(_deleted(heard[0]))
        assert {m.id for m in stores[1].list().messages} == kept
    finally:
        writing.clear()
        for store in stores:
            store.close()


def test_mail_from_an_instance_without_a_limit_is_swept_to_the_limit_and_announced_once(
    postgres_url: str, schema: str
) -> None:
    """An instance without --max-messages prunes nothing; the limited instance, writing
    nothing itself, brings the shared schema back to its limit within a sweep or two, and
    each deletion is announced once, to each instance."""
    limited = PostgresStore(
        postgres_url, schema=schema, max_messages=5, sweep_seconds=0.2, instance="limited"
    )
    unlimited = PostgresStore(postgres_url, schema=schema, max_messages=0, instance="free")
    heard: dict[str, list[StoreEvent]] = {"limited": [], "free": []}
    limited.subscribe(heard["limited"].append)
    unlimited.subscribe(heard["free"].append)
    try:
        sent = [deliver(unlimited, subject=f"m{n}").id for n in range(20)]
        assert until(lambda: unlimited.count() == 5, seconds=10)
        assert [m.id for m in limited.list().messages] == sent[:-6:-1]  # the newest 5
        assert until(lambda: all(len(_deleted(e)) >= 15 for e in heard.values()), seconds=5)
        time.sleep(0.5)  # later sweeps find nothing more to delete, or announce
        for name, events in heard.items():
            gone = _deleted(events)
            assert sorted(gone) == sorted(sent[:15]), name
            # The sweeper's deletions are the limited instance's own prunes (its metrics
            # count them); the other instance hears them as remote deletions.
            own = name == "limited"
            assert all(e.remote != own and e.pruned == own for e in events if e.kind == "delete")
        assert _truth(postgres_url, schema)[:2] == (5, 5)
    finally:
        limited.close()
        unlimited.close()


def test_a_limit_lowered_at_restart_is_kept_without_new_mail_a_bounded_batch_at_a_time(
    postgres_url: str, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Restarted with `max_messages` 2 over 12 messages, the store prunes to 2 before any
    mail arrives, deleting at most PRUNE_MOST (here 4) messages per transaction, as another
    instance, listening all along, hears."""
    monkeypatch.setattr(store_module, "PRUNE_MOST", 4)
    watcher = PostgresStore(postgres_url, schema=schema, max_messages=0)
    heard: list[StoreEvent] = []
    watcher.subscribe(heard.append)
    try:
        first = PostgresStore(postgres_url, schema=schema, max_messages=12)
        try:
            raws = [build_mail(subject=f"m{n}") for n in range(12)]
            futures = [first.submit(raw, envelope_for(raw)) for raw in raws]
            ids = [f.result(timeout=30).id for f in futures]
        finally:
            first.close()
        assert until(lambda: sum(e.kind == "new" for e in list(heard)) == 12, seconds=10)
        lowered = PostgresStore(postgres_url, schema=schema, max_messages=2, sweep_seconds=0.2)
        try:
            assert until(lambda: lowered.count() == 2, seconds=10)
            assert {m.id for m in lowered.list().messages} == set(ids[-2:])
            assert until(lambda: len(_deleted(heard)) >= 10, seconds=5)
            assert sorted(_deleted(heard)) == sorted(ids[:10])
            sizes = [len(e.ids) for e in heard if e.kind == "delete"]
            assert max(sizes) <= 4, sizes
        finally:
            lowered.close()
    finally:
        watcher.close()


def test_counter_rows_are_folded_at_each_start_and_the_counts_stay_exact(
    postgres_url: str, schema: str
) -> None:
    """Eight restarts, each with a new instance name that adds, reads and deletes mail: at
    most the folded row and the running instance's remain, and the counts are the rows'."""
    for _ in range(8):
        store = PostgresStore(postgres_url, schema=schema)
        try:
            kept = [deliver(store) for _ in range(3)]
            assert store.mark_read([kept[0].id]) == 1
            assert store.delete([kept[1].id]) == 1
        finally:
            store.close()
    store = PostgresStore(postgres_url, schema=schema)
    try:
        messages, unread, rows = _truth(postgres_url, schema)
        assert (messages, unread) == (16, 8)
        assert rows <= 2
        assert (store.count(), store.count(unread=True)) == (16, 8)
        deliver(store)
        with psycopg.connect(postgres_url) as conn:
            writers = conn.execute(
                sql.SQL("SELECT writer FROM {}.counters ORDER BY writer").format(
                    sql.Identifier(schema)
                )
            ).fetchall()
        assert writers == sorted([(FOLDED,), (store.instance,)])
    finally:
        store.close()


def test_folding_a_running_instances_row_loses_none_of_its_counts(
    postgres_url: str, schema: str
) -> None:
    """Instances starting while another writes fold its row away under it: its next write
    makes the row again, and the sums stay those of the rows."""
    running = PostgresStore(postgres_url, schema=schema, instance=f"running-{schema}")
    done = threading.Event()

    def write() -> None:
        try:
            for n in range(60):
                summary = deliver(running)
                if n % 3 == 0:
                    running.mark_read([summary.id])
                if n % 5 == 0:
                    running.delete([summary.id])
        finally:
            done.set()

    writer = threading.Thread(target=write)
    try:
        writer.start()
        starts = 0
        while not done.is_set() and starts < 20:
            PostgresStore(postgres_url, schema=schema).close()
            starts += 1
        writer.join(timeout=60)
        assert starts >= 2, "no instance started while the other wrote"
        messages, unread, _ = _truth(postgres_url, schema)
        assert (messages, unread) == (48, 32)
        assert (running.count(), running.count(unread=True)) == (48, 32)
    finally:
        done.set()
        running.close()


def test_an_in_process_mailbox_hears_mail_another_instance_stored(
    postgres_url: str, schema: str
) -> None:
    """A test's `Mailbox` over its own PostgresStore sees mail that another instance's SMTP
    server received, as soon as that instance's notification arrives."""
    receiving = PostgresStore(postgres_url, schema=schema)
    watching = PostgresStore(postgres_url, schema=schema)
    try:
        with SMTPServer(receiving, port=0) as server:
            mailbox = Mailbox(watching, host=server.host, port=server.port)
            try:
                to = mailbox.address("user")
                with smtplib.SMTP(server.host, server.port, timeout=10) as client:
                    client.sendmail(
                        "app@example.com", [to], f"Subject: via A\r\nTo: {to}\r\n\r\nhi"
                    )
                message = mailbox.wait_for(timeout=5, to=to)
                assert message.subject == "via A"
                assert [m.subject for m in mailbox.messages] == ["via A"]
            finally:
                mailbox.close()
    finally:
        receiving.close()
        watching.close()


def test_a_sweep_interval_of_zero_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="sweep_seconds must be above 0, got 0"):
        PostgresStore("postgresql:///unused", sweep_seconds=0)
