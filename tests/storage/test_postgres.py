"""What only the PostgreSQL store does: schema migrations, instances sharing one schema, and a
database URL that never shows its password. (The MessageStore contract runs against it in
test_contract.py and the search suites, through conftest's `store_kind`.)"""

from __future__ import annotations

import json
import re
import threading

import psycopg
import pytest
from mailfactory import build_mail, deliver, envelope_for
from polling import until
from postgres import new_schema
from psycopg import sql

from mailtrap import MailtrapError, StoreEvent
from mailtrap.message.searchtext import COLUMNS
from mailtrap.storage.postgres import PostgresStore
from mailtrap.storage.postgres._migrate import migrations
from mailtrap.storage.postgres._notify import channel_name, payloads
from mailtrap.storage.postgres._search import FIELDS, TEXT
from mailtrap.storage.postgres._writer import Operation
from mailtrap.storage.postgres.url import redact

SECRET = "s3cret-Pa55"


def _with_password(url: str) -> str:
    # The test cluster trusts local connections: the password is sent and ignored.
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{SECRET}@", 1)


def test_a_schema_newer_than_this_mailtrap_is_refused_naming_both_versions(
    postgres_url: str, schema: str
) -> None:
    PostgresStore(postgres_url, schema=schema).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("UPDATE {}.schema_version SET version = 999").format(sql.Identifier(schema))
        )
    newest = migrations()[-1][0]
    with pytest.raises(
        MailtrapError, match=rf"version 999, newer than this mailtrap knows \({newest}\)"
    ):
        PostgresStore(postgres_url, schema=schema)


def test_instances_starting_together_migrate_an_empty_schema_once(
    postgres_url: str, schema: str
) -> None:
    barrier = threading.Barrier(4)
    stores: list[PostgresStore] = []
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait(timeout=30)
        try:
            stores.append(PostgresStore(postgres_url, schema=schema))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert not errors
        assert len(stores) == 4
        with psycopg.connect(postgres_url) as conn:
            rows = conn.execute(
                sql.SQL("SELECT version FROM {}.schema_version").format(sql.Identifier(schema))
            ).fetchall()
        assert rows == [(migrations()[-1][0],)]
        summary = deliver(stores[0])
        assert [s.get(summary.id).id for s in stores] == [summary.id] * 4
    finally:
        for store in stores:
            store.close()


def test_two_instances_share_one_inbox(postgres_url: str, schema: str) -> None:
    a = PostgresStore(postgres_url, schema=schema, instance="a")
    b = PostgresStore(postgres_url, schema=schema, instance="b")
    try:
        first = deliver(a, subject="from A", headers={"X-Tags": "alpha"})
        second = deliver(b, subject="from B")
        for store in (a, b):
            assert [m.id for m in store.list().messages] == [second.id, first.id]
            assert store.count() == 2
            assert store.ids("subject:from") == [second.id, first.id]
        assert b.mark_read([first.id]) == 1
        assert a.count(unread=True) == 1
        assert a.set_tags([second.id], ["beta"]) == 1
        assert b.tags() == {"alpha": 1, "beta": 1}
        assert b.search("tag:beta").messages[0].id == second.id
        assert a.delete([second.id]) == 1
        assert b.count() == 1
        assert b.count(unread=True) == 0
        # Each instance keeps its counts in a row of its own, and the sums are the inbox's.
        with psycopg.connect(postgres_url) as conn:
            rows = conn.execute(
                sql.SQL("SELECT writer FROM {}.counters ORDER BY writer").format(
                    sql.Identifier(schema)
                )
            ).fetchall()
        assert rows == [("a",), ("b",)]
    finally:
        a.close()
        b.close()


def test_a_listener_cut_off_says_reset_then_hears_the_other_instance_again(
    postgres_url: str, schema: str
) -> None:
    # Instance names of this test's own: a shared test database may hold other tests' "b".
    a = PostgresStore(postgres_url, schema=schema, instance=f"a-{schema}")
    b = PostgresStore(postgres_url, schema=schema, instance=f"b-{schema}")
    events: list[StoreEvent] = []
    b.subscribe(events.append)

    def heard(id: str) -> bool:
        return any(e.kind == "new" and e.ids == (id,) for e in list(events))

    try:
        first = deliver(a)
        assert until(lambda: heard(first.id), seconds=5)
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            (ended,) = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (f"mailtrap listener b-{schema}",),
            ).fetchone() or (0,)
        assert ended == 1
        assert until(lambda: any(e.kind == "reset" for e in list(events)), seconds=5)
        second = deliver(a)
        assert until(lambda: heard(second.id), seconds=5)
        assert [e.kind for e in events] == ["new", "reset", "new"]
        assert all(e.remote for e in events)  # all made (or missed) by the other instance
        own = deliver(b)
        assert [(e.kind, e.ids, e.remote) for e in events[3:]] == [("new", (own.id,), False)]
    finally:
        a.close()
        b.close()


def test_another_instances_mail_is_loaded_only_while_a_subscriber_wants_summaries(
    postgres_url: str, schema: str
) -> None:
    a = PostgresStore(postgres_url, schema=schema, instance=f"a-{schema}")
    b = PostgresStore(postgres_url, schema=schema, instance=f"b-{schema}")
    wanted = threading.Event()
    events: list[StoreEvent] = []
    b.subscribe(events.append, summaries=wanted.is_set)

    def heard(id: str) -> list[StoreEvent]:
        return [e for e in list(events) if e.kind == "new" and id in e.ids]

    try:
        # Nobody wants summaries: the mail comes as ids alone (a batch's in one event).
        burst = [a.submit(raw, envelope_for(raw)) for raw in (build_mail(), build_mail())]
        ids = [f.result(timeout=10).id for f in burst]
        assert until(lambda: all(heard(id) for id in ids), seconds=5)
        assert all(e.summary is None and e.remote for id in ids for e in heard(id))
        assert sorted(id for e in events for id in e.ids) == sorted(ids)
        # Once a subscriber wants them, each message comes alone with its summary.
        wanted.set()
        later = deliver(a, subject="wanted now")
        assert until(lambda: bool(heard(later.id)), seconds=5)
        [event] = heard(later.id)
        assert (event.ids, event.summary, event.remote) == ((later.id,), later, True)
    finally:
        a.close()
        b.close()


def test_mail_with_nul_characters_is_stored_exactly_and_found(
    postgres_url: str, schema: str
) -> None:
    raw = build_mail(subject="nul\x00here", text="body with a \x00 in it and a needle")
    store = PostgresStore(postgres_url, schema=schema)
    try:
        summary = store.add(raw, envelope_for(raw))
        assert store.get_raw(summary.id) == raw
        assert store.get(summary.id).subject == summary.subject
        assert store.ids("needle") == [summary.id]
        assert store.ids("tag:a\x00b") == []
        assert store.list().messages[0] == summary
    finally:
        store.close()


def test_a_failing_write_fails_alone_and_the_rest_of_its_batch_commits(
    postgres_url: str, schema: str
) -> None:
    """A batch is sent in one go; when a statement in it fails, the batch runs again with
    each write in a savepoint: only the failing write's caller hears of the error."""
    store = PostgresStore(postgres_url, schema=schema, max_messages=4)
    heard: list[StoreEvent] = []
    store.subscribe(heard.append)
    raws = [build_mail(subject=f"batched {n}") for n in range(6)]
    try:
        with psycopg.connect(postgres_url) as blocker:
            # Every insert updates `counters`: holding it makes whatever is submitted meanwhile
            # wait in the writer's queue, so all of it becomes one batch.
            table = sql.Identifier(schema, "counters")
            blocker.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
            first = [store.submit(raw, envelope_for(raw)) for raw in raws[:3]]
            failing = store._writer.submit(Operation(lambda conn: (conn.execute("SELECT 1/0"), [])))
            rest = [store.submit(raw, envelope_for(raw)) for raw in raws[3:]]
        with pytest.raises(psycopg.errors.DivisionByZero):
            failing.result(timeout=30)
        stored = [f.result(timeout=30) for f in first + rest]
        assert [s.subject for s in stored] == [f"batched {n}" for n in range(6)]
        # Retention ran once for the committed writes: the oldest two are gone, announced.
        assert [m.id for m in store.list().messages] == [s.id for s in reversed(stored[2:])]
        assert [e.ids for e in heard if e.kind == "new"] == [(s.id,) for s in stored]
        pruned = [id for e in heard if e.kind == "delete" for id in e.ids]
        assert pruned == [stored[0].id, stored[1].id]
    finally:
        store.close()


def test_the_password_is_never_shown(postgres_url: str, schema: str) -> None:
    store = PostgresStore(_with_password(postgres_url), schema=schema)
    try:
        description = store.describe()
        for shown in (repr(store), str(description), description.database):
            assert SECRET not in shown
            assert "postgresql://postgres@" in shown
        assert f"(schema {schema})" in str(description)
    finally:
        store.close()


def test_an_unreachable_database_is_an_error_naming_it_without_the_password(
    tmp_path: object,
) -> None:
    url = f"postgresql://someone:{SECRET}@/mail?host={tmp_path}"
    with pytest.raises(MailtrapError) as caught:
        PostgresStore(url)
    message = str(caught.value)
    assert SECRET not in message
    assert f"postgresql://someone@/mail?host={tmp_path}" in message
    assert "--database-url" in message


def test_a_bad_schema_name_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="'Bad-Name'"):
        PostgresStore("postgresql:///unused", schema="Bad-Name")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@db:5432/mail", "postgresql://u@db:5432/mail"),
        (
            "postgres://u@db/mail?password=pw&sslmode=require",
            "postgres://u@db/mail?sslmode=require",
        ),
        ("postgresql://db/mail", "postgresql://db/mail"),
        ("host=db user=u password='p w\\'x' dbname=mail", "host=db user=u dbname=mail"),
        ("host=db password=pw", "host=db"),
    ],
)
def test_redact_takes_out_the_password_in_either_form(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_a_huge_body_of_distinct_words_and_a_very_long_word_is_stored_and_found(
    postgres_url: str, schema: str
) -> None:
    """Limits a word index would hit (tsvector sizes, btree entries over 2,700 bytes): a body
    of 150,000 distinct words (over 600 KiB) and one word of 3,000 characters."""
    words = [f"w{i:x}" for i in range(150_000)]
    long_word = "q" * 3_000
    text = " ".join([long_word, *words])
    assert len(text) > 600 * 1024
    raw = build_mail(subject="limits", text=text)
    store = PostgresStore(postgres_url, schema=schema)
    try:
        summary = store.add(raw, envelope_for(raw))
        assert store.get_raw(summary.id) == raw
        assert store.ids(long_word) == [summary.id]
        assert store.ids("wc350") == [summary.id]
        # As in every store, body text beyond searchtext.MAX_INDEXED_BODY is kept, not indexed.
        assert store.ids(words[-1]) == []
    finally:
        store.close()


def test_search_has_trigram_indexes_of_the_columns_it_reads(postgres_url: str, schema: str) -> None:
    """The indexes serve search only if they hold the columns its LIKEs read: the body in one,
    every other folded column in the other (`FIELDS`), and nothing of 0002's index is left."""
    PostgresStore(postgres_url, schema=schema).close()
    with psycopg.connect(postgres_url) as conn:
        rows: dict[str, str] = dict(
            conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s "
                "AND indexdef LIKE '%%gin_trgm_ops%%'",
                (schema,),
            ).fetchall()
        )
    assert set(rows) == {"search_body", "search_fields"}, "pg_trgm (Debian's postgresql has it)"
    for name, columns in (("search_fields", list(FIELDS)), ("search_body", ["body"])):
        indexed = rows[name].split("USING gin", 1)[1]
        assert re.findall(r"(\w+) (?:public\.)?gin_trgm_ops", indexed) == columns
    assert set(TEXT) == {c.name for c in COLUMNS}


def test_a_version_2_schema_with_mail_gets_the_new_search_indexes_and_finds_the_same(
    postgres_url: str, schema: str
) -> None:
    """Migration 0003 on an inbox that 0002 left (its single index of the joined columns, mail
    in it, one message read): the indexes are replaced, and searches answer as before."""
    store = PostgresStore(postgres_url, schema=schema)
    try:
        invoice = deliver(store, subject="Your invoice", text="Pay by Friday")
        deliver(store, subject="Weekly report", sender="Reports <reports@corp.example>")
        store.mark_read([invoice.id])
    finally:
        store.close()
    _, v2 = migrations()[1]
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        conn.execute("DROP INDEX search_body, search_fields, messages_read")
        conn.execute(v2.encode())  # 0002's index, as an inbox made before 0003 has it
        conn.execute("UPDATE schema_version SET version = 2")
    store = PostgresStore(postgres_url, schema=schema)
    try:
        for query, subjects, unread in [
            ("invoice", ["Your invoice"], 0),
            ("friday", ["Your invoice"], 0),
            ("from:corp.example", ["Weekly report"], 1),
            ("!from:corp.example", ["Your invoice"], 0),
            ("ex", ["Weekly report", "Your invoice"], 1),  # too short for a trigram
        ]:
            page = store.search(query)
            assert [m.subject for m in page.messages] == subjects, query
            assert (page.total, page.unread) == (len(subjects), unread), query
    finally:
        store.close()
    with psycopg.connect(postgres_url) as conn:
        names = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s", (schema,)
        ).fetchall()
    assert {"search_body", "search_fields", "messages_read"} <= {n for (n,) in names}
    assert ("search_text",) not in names


def test_events_are_split_into_notifications_under_postgresqls_limit() -> None:
    """PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more: a delete of 5,000 ids is
    split, in order, and every payload is distinct (identical ones would be folded)."""
    ids = tuple(new_schema() + "xxxxxxxxxx" for _ in range(5_000))
    events = [StoreEvent("update", ids[:3], tags=("a",)), StoreEvent("delete", ids)]
    sent = payloads("me", events)
    assert len(sent) > 1
    assert all(len(p.encode()) < 8_000 for p in sent)
    assert len(set(sent)) == len(sent)
    items = [item for p in sent for item in json.loads(p)["e"]]
    assert items[0] == ["update", list(ids[:3]), None, ["a"], False]
    assert [id for kind, part, *_ in items[1:] if kind == "delete" for id in part] == list(ids)


def test_a_batch_of_arriving_mail_is_announced_as_few_items_in_order() -> None:
    ids = [f"{n:022d}" for n in range(450)]
    events = [StoreEvent("new", (id,)) for id in ids[:300]]
    events += [StoreEvent("update", (ids[0],), read=True)]
    events += [StoreEvent("new", (id,)) for id in ids[300:]]
    sent = payloads("me", events)
    assert all(len(p.encode()) < 8_000 for p in sent)
    items = [item for p in sent for item in json.loads(p)["e"]]
    assert [(kind, len(part)) for kind, part, *_ in items] == [
        ("new", 200),
        ("new", 100),
        ("update", 1),
        ("new", 150),
    ]
    assert [id for kind, part, *_ in items if kind == "new" for id in part] == ids


def test_a_long_schema_name_still_has_a_channel_postgresql_takes() -> None:
    long = "s" * 63
    assert len(channel_name(long)) <= 63
    assert channel_name(long) != channel_name("s" * 62 + "t")
    assert channel_name("inbox") == "mailtrap.inbox"
