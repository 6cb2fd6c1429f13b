"""The background checkpointer: WAL pages reach the database file without the writer."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from mailfactory import deliver

from mailtrap import SQLiteStore
from mailtrap.storage._checkpoint import PAUSE, WAL_LIMIT_PAGES, Checkpointer


def wal_database(path: Path) -> sqlite3.Connection:
    """A WAL database whose own connection never checkpoints, holding ~2 MiB in the WAL."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE t (data BLOB)")
    conn.executemany("INSERT INTO t VALUES (?)", [(b"x" * 4000,) for _ in range(500)])
    return conn


def until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_a_nudge_copies_the_wal_into_the_database(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    writer = wal_database(path)
    before = path.stat().st_size
    checkpointer = Checkpointer(
        sqlite3.connect(path, check_same_thread=False), name="test-checkpoint"
    )
    try:
        time.sleep(0.1)
        assert path.stat().st_size == before  # nothing happens unasked
        checkpointer.nudge()
        assert until(lambda: path.stat().st_size >= 500 * 4000)
    finally:
        checkpointer.close()
        writer.close()


def test_a_failed_checkpoint_is_logged_and_the_thread_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "c.db"
    writer = wal_database(path)
    broken = sqlite3.connect(path, check_same_thread=False)
    broken.close()  # every execute now raises sqlite3.ProgrammingError
    checkpointer = Checkpointer(broken, name="test-checkpoint")
    try:
        with caplog.at_level(logging.WARNING, logger="mailtrap.storage"):
            checkpointer.nudge()
            assert until(lambda: len(caplog.records) >= 1)
            time.sleep(PAUSE / 2)  # a nudge during the pause after a checkpoint still counts
            checkpointer.nudge()
            assert until(lambda: len(caplog.records) >= 2)
        assert "checkpoint failed" in caplog.records[0].getMessage()
    finally:
        checkpointer.close()
        writer.close()


def test_the_store_checkpoints_beside_its_writer_and_bounds_the_wal(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "m.db", max_messages=0)
    try:
        limit = store._writer._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        assert limit == WAL_LIMIT_PAGES  # the writer still checkpoints past this
        before = (tmp_path / "m.db").stat().st_size
        for n in range(200):
            deliver(store, subject=f"message {n}", text="x" * 4000)
        assert until(lambda: (tmp_path / "m.db").stat().st_size >= before + 200 * 4000)
    finally:
        store.close()
    assert not (tmp_path / "m.db-wal").exists()  # the last one out checkpoints and removes it
