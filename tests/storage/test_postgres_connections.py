"""The connections a PostgreSQL store holds. Plans that last: an inbox last ANALYZEd small that
has since grown still finds a message by its id (and checks arriving mail's foreign keys)
through an index, on every connection, after psycopg has prepared the statements and PostgreSQL
would keep one generic plan for them. And a pooled reader whose session the server ended while
it idled is replaced, not handed to a read that would fail."""

from __future__ import annotations

import time

import psycopg
from mailfactory import build_mail, envelope_for
from psycopg import sql

from mailtrap import StoreEvent
from mailtrap.storage.postgres import PostgresStore

GROWN = 2_000  # messages the inbox grows by after its last ANALYZE
ROUNDS = 20  # lookups of each kind: well past psycopg's 5 and PostgreSQL's 5 custom plans


def _scans(url: str, schema: str) -> tuple[int, int]:
    """(sequential scans, index scans) of `messages`, as the statistics hold them now."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables"
            " WHERE schemaname = %s AND relname = 'messages'",
            (schema,),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _settled(url: str, schema: str) -> tuple[int, int]:
    """The scans of `messages` once every idle connection's statistics are in: a backend sends
    them at most once a second, and when it could not, after 10 s idle (PGSTAT_IDLE_INTERVAL)."""
    now = _scans(url, schema)
    for _ in range(4):
        time.sleep(11)
        now, before = _scans(url, schema), now
        if now == before:
            return now
    raise AssertionError(f"the statistics of an idle inbox kept changing: {before} then {now}")


def _submit_many(store: PostgresStore, count: int, subject: str) -> list[str]:
    mails = [build_mail(subject=f"{subject} {n}") for n in range(count)]
    futures = [store.submit(raw, envelope_for(raw)) for raw in mails]
    return [f.result(timeout=120).id for f in futures]


def test_lookups_by_id_use_the_index_after_the_inbox_grew_past_its_last_analyze(
    postgres_url: str, schema: str
) -> None:
    store = PostgresStore(postgres_url, schema=schema, max_messages=0, readers=1)
    other = PostgresStore(postgres_url, schema=schema, max_messages=0, readers=1)
    heard: list[StoreEvent] = []
    other.subscribe(heard.append)
    try:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            # As autovacuum leaves a small inbox, and before it comes round again.
            conn.execute(
                sql.SQL("ALTER TABLE {}.messages SET (autovacuum_enabled = false)").format(
                    sql.Identifier(schema)
                )
            )
            [first] = _submit_many(store, 1, "first")
            conn.execute(sql.SQL("ANALYZE {}.messages").format(sql.Identifier(schema)))
        for _ in range(ROUNDS):  # prepared, and planned, while the inbox holds one message
            store.get(first)
            store.get_raw(first)
            store.neighbors(first)
            store.mark_read([first])
        _submit_many(store, GROWN, "grown")

        before = _settled(postgres_url, schema)
        arriving = _submit_many(store, ROUNDS, "arriving")  # each checks its foreign keys
        for _ in range(ROUNDS):
            store.get(first)
            store.get_raw(first)
            store.neighbors(first)  # by id, then by seq either side
            store.mark_read([first], read=False)  # counts, then updates
        deadline = time.monotonic() + 30
        while not {i for e in heard for i in e.ids} >= set(arriving):  # the other's listener
            assert time.monotonic() < deadline, "the other instance never heard of the mail"
            time.sleep(0.05)
    finally:
        store.close()  # a backend's statistics reach the views when it exits
        other.close()

    looked_up = ROUNDS * (1 + 1 + 3 + 2)
    deadline = time.monotonic() + 30
    while sum(after := _scans(postgres_url, schema)) - sum(before) < looked_up:
        assert time.monotonic() < deadline, f"statistics never counted the lookups: {after}"
        time.sleep(0.1)
    seq_scans = after[0] - before[0]
    assert seq_scans == 0, (
        f"{seq_scans} of {sum(after) - sum(before)} scans of messages read the whole table"
    )


def test_a_read_after_the_server_ended_an_idle_readers_session_succeeds(
    postgres_url: str, schema: str
) -> None:
    store = PostgresStore(postgres_url, schema=schema, readers=1)
    try:
        [id] = _submit_many(store, 1, "kept")
        assert store.count() == 1
        reader = f"mailtrap reader {store.instance}"[:63]
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            ended = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (reader,),
            ).fetchall()
            assert ended == [(True,)]
            deadline = time.monotonic() + 10  # the session ends a moment after the signal
            while conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = %s", (reader,)
            ).fetchall():
                assert time.monotonic() < deadline, "the reader's session never ended"
                time.sleep(0.02)
        assert store.stored(id).summary.subject == "kept 0"
        assert [m.id for m in store.list().messages] == [id]
    finally:
        store.close()
