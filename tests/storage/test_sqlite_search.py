"""What only the SQLite store's search needs: the upgrade to the substring index, the shadow
table it reads, and the paths a short term can take through it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from mailfactory import build_mail, deliver, envelope_for
from searchmail import INLINE

from mailtrap import MailtrapError, MemoryStore, SQLiteStore
from mailtrap.message.parsing import summarize
from mailtrap.message.searchtext import COLUMNS
from mailtrap.storage import _sqlsearch
from mailtrap.storage._schema import (
    _statements,
    check_sqlite,
    envelope_json,
    message_row,
    migrations,
)

V4_FTS = ("subject", "sender", "rcpt_to", "cc", "bcc", "message_id", "tags", "body")


def version_4_database(path: Path, mails: list[bytes]) -> None:
    """A database as mailtrap left it before substring search: the word index, raw text."""
    conn = sqlite3.connect(path, isolation_level=None)
    for number, script in migrations():
        if number <= 4:
            conn.execute("BEGIN")
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
    for n, raw in enumerate(mails):
        envelope = envelope_for(raw)
        digest = summarize(raw, envelope)
        row = message_row(digest, id=f"id{n}", created=1e9 + n, size=len(raw))
        old = {c.name: c.text(digest) for c in COLUMNS}
        conn.execute(
            f"INSERT INTO incoming VALUES ({','.join('?' * 23)})",
            (*row, envelope_json(envelope), raw, *(old[name] for name in V4_FTS)),
        )
    # A tag set later, through the API: the upgrade must keep it, not re-read the header.
    conn.execute("UPDATE messages SET tags = ? WHERE id = 'id0'", (json.dumps(["Renamed"]),))
    conn.close()


def test_a_version_4_database_is_upgraded_to_substring_search(tmp_path: Path) -> None:
    invoice = build_mail(
        subject="Invoice 12345",
        sender="Alice Liddell <alice@wonderland.example>",
        headers={"Reply-To": "desk@billing.example", "X-Tags": "old"},
        attachments=(("report.csv", "text/csv", b"a,b\n"),),
    )
    version_4_database(tmp_path / "m.db", [invoice, INLINE])
    store = SQLiteStore(tmp_path / "m.db")
    try:
        for query, subjects in [
            ("voice", ["Invoice 12345"]),
            ("from:lice", ["Invoice 12345"]),
            ("reply-to:billing", ["Invoice 12345"]),
            ("report.csv", ["Invoice 12345"]),
            ("has:inline", ["Logo preview"]),
            ("renamed", ["Invoice 12345"]),
            ("tag:old", []),
            ("is:tagged", ["Invoice 12345"]),
        ]:
            assert [m.subject for m in store.search(query).messages] == subjects, query
        deliver(store, subject="after the upgrade")
        assert [m.subject for m in store.search("upgrade").messages] == ["after the upgrade"]
        assert store.delete([store.search("voice").messages[0].id]) == 1
        assert store.search("voice").total == 0
    finally:
        store.close()


def test_the_content_table_has_the_layout_the_search_reads(tmp_path: Path) -> None:
    """`_sqlsearch` reads FTS5's `fts_content` shadow table directly, by column position."""
    SQLiteStore(tmp_path / "m.db").close()
    conn = sqlite3.connect(tmp_path / "m.db")
    try:
        layout = [r[1] for r in conn.execute("PRAGMA table_info(fts_content)")]
    finally:
        conn.close()
    assert layout == ["id", *(f"c{i}" for i in range(len(COLUMNS)))]


QUERIES = ["e", "-e", "xq", "-xq", "to:o", "!to:o", "xq e", "🔥", "-🔥", "ご", "订"]


@pytest.mark.parametrize("expansion", [0, 1, _sqlsearch.MAX_EXPANSION])
def test_short_terms_agree_with_the_memory_store_on_every_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, expansion: int
) -> None:
    """A one- or two-character term is looked up by the trigrams it starts, or, past
    MAX_EXPANSION of them, scanned for: either way the answer is the memory store's."""
    monkeypatch.setattr(_sqlsearch, "MAX_EXPANSION", expansion)
    sqlite, memory = SQLiteStore(tmp_path / "m.db"), MemoryStore()
    try:
        for store in (sqlite, memory):
            deliver(store, subject="Hot 🔥", text="total 99 XQ", to="Bob <bob@example.com>")
            deliver(store, subject="ご注文", text="订单", to="ann@example.net")
            deliver(store, subject="plain", text="nothing", to="dan@example.net")
        assert [m.subject for m in sqlite.search("xq").messages] == ["Hot 🔥"]
        for query in QUERIES:
            expected = sorted(m.subject for m in memory.search(query).messages)
            assert sorted(m.subject for m in sqlite.search(query).messages) == expected, query
    finally:
        sqlite.close()


def test_an_sqlite_without_the_trigram_tokenizer_is_refused_with_the_fix() -> None:
    check_sqlite((3, 34, 0))
    with pytest.raises(
        MailtrapError, match=r"needs SQLite 3\.34\.0 or newer.*has 3\.31\.1.*--memory"
    ):
        check_sqlite((3, 31, 1))
