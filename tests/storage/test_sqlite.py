"""What only the SQLite store promises: durability, group commit, migrations, clear errors."""

from __future__ import annotations

import logging
import sqlite3
import threading
from concurrent.futures import Future
from contextlib import closing
from pathlib import Path

import pytest
from mailfactory import build_mail, deliver, envelope_for

from mailtrap import MailtrapError, SQLiteStore
from mailtrap.message.searchtext import COLUMNS, FIELD_COLUMNS, TEXT_FIELDS
from mailtrap.storage._inserts import CHUNK, Pending
from mailtrap.storage._schema import SUMMARY_COLUMNS, _statements, migrations
from mailtrap.storage._writer import Operation, Writer
from mailtrap.storage.base import StoreEvent


def test_a_returned_add_is_committed_and_visible_to_another_connection(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "m.db")
    try:
        summary = deliver(store, subject="durable")
        other = sqlite3.connect(tmp_path / "m.db")
        row = other.execute("SELECT subject FROM messages WHERE id = ?", (summary.id,)).fetchone()
        other.close()
        assert row == ("durable",)
    finally:
        store.close()


def test_reopening_keeps_messages_flags_and_search(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "m.db")
    a = deliver(store, subject="alpha report")
    deliver(store, subject="beta")
    store.mark_read([a.id])
    store.close()
    again = SQLiteStore(tmp_path / "m.db")
    try:
        assert [m.subject for m in again.list().messages] == ["beta", "alpha report"]
        assert again.count(unread=True) == 1
        assert [m.id for m in again.search("alpha is:read").messages] == [a.id]
        assert again.get(a.id).subject == "alpha report"
    finally:
        again.close()


def writer_on(tmp_path: Path, table: str) -> tuple[sqlite3.Connection, Writer]:
    """A Writer over a fresh database holding `table` (a CREATE TABLE body)."""
    conn = sqlite3.connect(tmp_path / "w.db", isolation_level=None, check_same_thread=False)
    conn.execute(f"CREATE TABLE {table}")
    return conn, Writer(conn, name="test-writer", before_commit=lambda c: [], emit=lambda e: None)


def hold(writer: Writer) -> tuple[Future[object], threading.Event]:
    """Park the writer inside a batch's transaction until the returned gate is set."""
    started, gate = threading.Event(), threading.Event()

    def blocked(c: sqlite3.Connection) -> tuple[None, list[object]]:
        started.set()
        gate.wait(10)
        return None, []

    first = writer.submit(Operation(blocked))  # type: ignore[arg-type]
    assert started.wait(10)
    return first, gate


def test_writes_queued_during_a_commit_share_the_next_one(tmp_path: Path) -> None:
    """Group commit: 20 writers arriving while one batch runs cost one more commit, not 20."""
    conn, writer = writer_on(tmp_path, "t (x)")
    commits: list[str] = []
    conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)

    def insert(c: sqlite3.Connection) -> tuple[int, list[object]]:
        return c.execute("INSERT INTO t VALUES (1)").lastrowid or 0, []

    first, gate = hold(writer)  # the writer is inside the first batch's transaction
    queued = [writer.submit(Operation(insert)) for _ in range(20)]  # type: ignore[arg-type]
    gate.set()
    first.result(10)
    assert len({f.result(10) for f in queued}) == 20
    writer.close()
    assert commits == ["COMMIT", "COMMIT"]


def test_one_failing_operation_fails_only_its_own_future(tmp_path: Path) -> None:
    _, writer = writer_on(tmp_path, "t (x UNIQUE)")

    def insert(value: int):  # type: ignore[no-untyped-def]
        return Operation(lambda c: (c.execute("INSERT INTO t VALUES (?)", (value,)), []))

    futures = [writer.submit(insert(v)) for v in (1, 1, 2)]
    assert futures[0].result(10) is not None
    with pytest.raises(sqlite3.IntegrityError):
        futures[1].result(10)
    assert futures[2].result(10) is not None
    writer.close()
    with closing(sqlite3.connect(tmp_path / "w.db")) as check:  # 3.13 warns of unclosed ones
        assert check.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (2,)]


def test_a_failing_prepare_fails_only_its_own_operation(tmp_path: Path) -> None:
    """`prepare` runs on the writer thread (messages are parsed there); if it raises, the rest
    of the batch is written all the same."""
    _, writer = writer_on(tmp_path, "t (x)")
    prepared_on: list[str] = []

    def insert(value: int, *, fail: bool = False) -> Operation:
        def prepare(op: Operation) -> None:
            prepared_on.append(threading.current_thread().name)
            if fail:
                raise ValueError("cannot prepare")
            op.data = value

        def apply(c: sqlite3.Connection) -> tuple[int, list[StoreEvent]]:
            c.execute("INSERT INTO t VALUES (?)", (op.data,))
            return op.data, []

        op = Operation(apply, prepare=prepare)
        return op

    first, gate = hold(writer)  # so that the three below form one batch
    futures = [
        writer.submit(insert(1)),
        writer.submit(insert(2, fail=True)),
        writer.submit(insert(3)),
    ]
    gate.set()
    first.result(10)
    assert [futures[0].result(10), futures[2].result(10)] == [1, 3]
    with pytest.raises(ValueError, match="cannot prepare"):
        futures[1].result(10)
    writer.close()
    assert set(prepared_on) == {"test-writer"}
    with closing(sqlite3.connect(tmp_path / "w.db")) as check:  # 3.13 warns of unclosed ones
        assert check.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (3,)]


def test_schema_is_versioned(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "m.db").close()
    conn = sqlite3.connect(tmp_path / "m.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations()[-1][0]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_newer_schema_is_refused_with_the_fix(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "m.db").close()
    conn = sqlite3.connect(tmp_path / "m.db")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(MailtrapError, match=r"schema version 999.*upgrade mailtrap"):
        SQLiteStore(tmp_path / "m.db")


FTS_COLUMNS = "subject, sender, rcpt_to, cc, bcc, message_id, tags, body"


def test_a_version_2_database_is_upgraded_with_its_mail_still_searchable(tmp_path: Path) -> None:
    """Migration 3 rebuilds the FTS index without prefix indexes; nothing may be lost, and
    mail arriving after the upgrade lands beside it."""
    path = tmp_path / "m.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for number, script in migrations():
        if number <= 2:
            conn.execute("BEGIN")
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
    for seq, subject in enumerate(("quarterly invoice", "shipping notice"), 1):
        raw = build_mail(subject=subject)
        row = Pending.build(raw, envelope_for(raw)).row  # the `incoming` view's columns
        conn.execute(
            f"INSERT INTO messages (seq, {SUMMARY_COLUMNS}, envelope) VALUES ({seq}{',?' * 14})",
            row[:14],
        )
        conn.execute("INSERT INTO raw VALUES (?, ?)", (seq, row[14]))
        # The version-2 index had no reply_to column (the view's fts_reply_to, row[21]).
        old_fts = [*row[16:21], *row[22:]]
        conn.execute(f"INSERT INTO fts (rowid, {FTS_COLUMNS}) VALUES ({seq}{',?' * 8})", old_fts)
    conn.close()

    store = SQLiteStore(path)
    try:
        assert [m.subject for m in store.search("invo").messages] == ["quarterly invoice"]
        assert [m.subject for m in store.search("ship").messages] == ["shipping notice"]
        found = store.search("notice").messages[0]
        assert store.delete([found.id]) == 1  # the delete trigger, rebuilt, still cleans up
        assert store.search("notice").total == 0
        check = sqlite3.connect(path)
        sql = check.execute("SELECT sql FROM sqlite_master WHERE name = 'fts'").fetchone()[0]
        (indexed,) = check.execute("SELECT count(*) FROM fts").fetchone()
        check.close()
        assert "prefix" not in sql
        assert indexed == 1
        deliver(store, subject="after the upgrade")
        assert [m.subject for m in store.list().messages] == [
            "after the upgrade",
            "quarterly invoice",
        ]
        assert store.search("upgrade").total == 1
    finally:
        store.close()


def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MailtrapError, match=r"cannot open .*nope.*--db"):
        SQLiteStore(tmp_path / "nope" / "m.db")


def test_submit_does_not_wait_for_the_commit(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "m.db")
    try:
        raw = build_mail(subject="async")
        futures = [store.submit(raw, envelope_for(raw)) for _ in range(50)]
        assert {f.result(10).subject for f in futures} == {"async"}
        assert store.count() == 50
    finally:
        store.close()


def test_a_burst_is_inserted_a_chunk_at_a_time_and_every_row_lines_up(tmp_path: Path) -> None:
    """A burst goes in with multi-row INSERTs; each message keeps its own raw bytes, tags
    and search text however the burst was cut."""
    store = SQLiteStore(tmp_path / "m.db", max_messages=0)
    try:
        writer = store._writer
        statements: list[str] = []
        writer._conn.set_trace_callback(statements.append)
        _, gate = hold(writer)
        mails = [
            build_mail(subject=f"burst {n}", text=f"word{n}x", headers={"X-Tags": f"t{n % 3}"})
            for n in range(2 * CHUNK + 11)
        ]
        futures = [store.submit(raw, envelope_for(raw)) for raw in mails]
        gate.set()
        summaries = [f.result(10) for f in futures]
    finally:
        store.close()
    # The trace repeats a statement for each step of its trigger: count distinct ones.
    inserts = {s for s in statements if s.startswith("INSERT INTO incoming")}
    assert len(inserts) == 3  # 32 + 32 + 11 rows, not one statement per message
    store = SQLiteStore(tmp_path / "m.db", max_messages=0)
    try:
        for n, (raw, summary) in enumerate(zip(mails, summaries, strict=True)):
            assert raw in store.get(summary.id).raw
            assert [m.id for m in store.search(f"word{n}x").messages] == [summary.id]
        assert store.search("tag:t1").total == len([n for n in range(len(mails)) if n % 3 == 1])
    finally:
        store.close()


def test_a_burst_of_untagged_mail_is_one_statement_without_begin_or_commit(
    tmp_path: Path,
) -> None:
    """Each statement costs the writer a GIL handover; SQLite commits a lone one by itself."""
    store = SQLiteStore(tmp_path / "m.db", max_messages=0)
    try:
        writer = store._writer
        statements: list[str] = []
        _, gate = hold(writer)
        writer._conn.set_trace_callback(statements.append)
        mails = [build_mail(subject=f"plain {n}x") for n in range(CHUNK)]
        futures = [store.submit(raw, envelope_for(raw)) for raw in mails]
        gate.set()
        summaries = [f.result(10) for f in futures]
        writer._conn.set_trace_callback(None)
        burst = statements[statements.index("COMMIT") + 1 :]  # after the held batch's
        # The trace also shows FTS5's own queries, and repeats a statement for each step of
        # its trigger: look at the ones the writer issued, once each.
        issued = {s for s in burst if "'main'" not in s and not s.startswith("--")}
        assert [s.split(" VALUES")[0] for s in issued] == ["INSERT INTO incoming"]
        assert [m.id for m in store.list(limit=CHUNK).messages] == [
            s.id for s in reversed(summaries)
        ]
        for raw, summary in zip(mails, summaries, strict=True):
            assert store.get_raw(summary.id).endswith(raw)
            assert [m.id for m in store.search(f'"{summary.subject}"').messages] == [summary.id]
    finally:
        store.close()


@pytest.mark.parametrize("statement_rows", [0, 10], ids=["in-a-transaction", "one-statement"])
def test_a_failing_run_is_retried_one_by_one(tmp_path: Path, statement_rows: int) -> None:
    _, writer = writer_on(tmp_path, "t (x UNIQUE)")
    _, gate = hold(writer)

    def many(c: sqlite3.Connection, ops: list[Operation]) -> list[tuple[object, list[object]]]:
        # One multi-row statement, as statement_rows promises: atomic with or without BEGIN.
        c.execute(f"INSERT INTO t VALUES {','.join(['(?)'] * len(ops))}", [op.data for op in ops])
        return [(op.data, []) for op in ops]

    def op(value: int) -> Operation:
        def one(c: sqlite3.Connection) -> tuple[int, list[object]]:
            c.execute("INSERT INTO t VALUES (?)", (value,))
            return value, []

        return Operation(
            one,  # type: ignore[arg-type]
            apply_many=many,  # type: ignore[arg-type]
            data=value,
            statement_rows=statement_rows,
        )

    futures = [writer.submit(op(v)) for v in (1, 2, 2, 3)]  # the duplicate breaks the run
    gate.set()
    assert futures[0].result(10) == 1
    assert futures[1].result(10) == 2
    with pytest.raises(sqlite3.IntegrityError):
        futures[2].result(10)
    assert futures[3].result(10) == 3
    writer.close()
    with closing(sqlite3.connect(tmp_path / "w.db")) as check:  # 3.13 warns of unclosed ones
        assert check.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (2,), (3,)]


def test_failing_upkeep_after_a_lone_statement_is_logged_and_the_writes_stand(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without a transaction the batch is committed before the upkeep (pruning) runs: its
    writers must hear success, or SMTP clients would retry mail that is already stored."""
    conn = sqlite3.connect(tmp_path / "w.db", isolation_level=None, check_same_thread=False)
    conn.execute("CREATE TABLE t (x)")

    def upkeep(c: sqlite3.Connection) -> list[object]:
        raise sqlite3.OperationalError("disk I/O error")

    def many(c: sqlite3.Connection, ops: list[Operation]) -> list[tuple[object, list[object]]]:
        c.execute(f"INSERT INTO t VALUES {','.join(['(?)'] * len(ops))}", [op.data for op in ops])
        return [(op.data, []) for op in ops]

    writer = Writer(conn, name="test-writer", before_commit=upkeep, emit=lambda e: None)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="mailtrap.storage"):
        op = Operation(lambda c: (None, []), apply_many=many, data=7, statement_rows=10)  # type: ignore[arg-type]
        assert writer.submit(op).result(10) == 7
    writer.close()
    assert "upkeep after a write batch failed" in caplog.text
    check = sqlite3.connect(tmp_path / "w.db")
    assert check.execute("SELECT x FROM t").fetchall() == [(7,)]
    check.close()


def test_a_second_store_on_the_same_file_is_refused_until_the_first_closes(
    tmp_path: Path,
) -> None:
    first = SQLiteStore(tmp_path / "m.db")
    with pytest.raises(MailtrapError, match=r"in use by another mailtrap \(pid \d+\).*--db"):
        SQLiteStore(tmp_path / "m.db")
    first.close()
    SQLiteStore(tmp_path / "m.db").close()


def test_no_file_is_named_from_message_content(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "m.db")
    raw = build_mail(attachments=(("x.bin", "application/octet-stream", b"x"),))
    raw = raw.replace(b'filename="x.bin"', b'filename="../../evil.sh"')
    store.add(raw, envelope_for(raw))
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.db", "m.db.lock"]


def test_the_schema_indexes_the_one_table_of_search_columns(tmp_path: Path) -> None:
    """`search.COLUMNS` is the one list of search columns: the FTS table and the view that
    fills it name the same columns in the same order (a migration must follow the table)."""
    SQLiteStore(tmp_path / "m.db").close()
    conn = sqlite3.connect(tmp_path / "m.db")
    try:
        fts = [r[1] for r in conn.execute("PRAGMA table_info(fts)")]
        incoming = [r[1] for r in conn.execute("PRAGMA table_info(incoming)")]
    finally:
        conn.close()
    names = [c.name for c in COLUMNS]
    assert fts == names
    assert incoming[-len(names) :] == [f"fts_{n}" for n in names]
    # Each text `field:` searches columns of the index.
    assert {c for columns in FIELD_COLUMNS.values() for c in columns} <= set(names)
    assert set(FIELD_COLUMNS) == TEXT_FIELDS
    fields = {"from", "to", "cc", "bcc", "reply-to", "addressed", "subject", "message-id"}
    assert fields == TEXT_FIELDS
