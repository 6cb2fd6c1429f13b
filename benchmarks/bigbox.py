"""Large mailboxes for the query benchmarks: SQLite and PostgreSQL stores holding the same
generated messages, each stored through the store's own `submit` in batches of 500 (the write
path SMTP ingest takes, so the rows are what ingest would store: summary, raw mail, folded
search text, tags).
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from mailtrap import Envelope, SQLiteStore
from mailtrap.storage.base import MessageStore

__all__ = ["fill", "postgres", "sqlite"]

# fmt: off
WORDS = [
    "invoice", "order", "shipped", "password", "reset", "welcome", "newsletter", "report",
    "weekly", "meeting", "account", "security", "alert", "receipt", "payment", "failed",
    "confirm", "address", "update",
]
# fmt: on
# Senders' domains: `from:billing` matches a fifth of the mailbox, `from:example` all of it.
SENDERS = ["billing", "shop", "news", "alerts", "support"]
# One message in a hundred has a subject in another script, for the CJK and Greek searches.
FOREIGN = ["您的订单已发货", "Ελληνικά νέα", "ご注文の確認", "주문 확인"]


def fill(store: MessageStore, messages: int) -> None:
    rng = random.Random(1)
    env = Envelope("app@example.com", ("user@example.com",))
    batch = []
    for i in range(messages):
        subject = " ".join(rng.choices(WORDS, k=4)) + f" #{i}"
        if i % 100 == 0:
            subject = f"{FOREIGN[i // 100 % len(FOREIGN)]} {subject}"
        body = " ".join(rng.choices(WORDS, k=120))
        raw = (
            f"From: App <app@{SENDERS[i % len(SENDERS)]}.example.com>\r\n"
            f"To: user{i % 500}@example.com\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{i}@bench>\r\n\r\n{body}\r\n"
        ).encode()
        batch.append(store.submit(raw, env))
        if len(batch) >= 500:
            for future in batch:
                future.result()
            batch = []
    for future in batch:
        future.result()


@contextlib.contextmanager
def postgres(
    url: str | None, messages: int
) -> Iterator[tuple[MessageStore, Callable[[], float] | None]]:
    """A PostgreSQL store holding `messages` messages, in a fresh schema dropped at the end
    (on the server at `url`, or a throwaway one), and `pgcluster.server_cpu`'s reader of the
    server's CPU seconds. VACUUM ANALYZEd after the fill, as autovacuum would be soon after."""
    import psycopg
    from pgcluster import database, fresh_schema, server_cpu
    from psycopg import sql

    from mailtrap import PostgresStore

    with database(url) as where, fresh_schema(where, "query_speed") as schema:
        store = PostgresStore(where, schema=schema, max_messages=0)
        try:
            started = time.perf_counter()
            fill(store, messages)
            took = time.perf_counter() - started
            with psycopg.connect(where, autocommit=True) as conn:
                for table in ("messages", "raw", "search", "tags"):
                    conn.execute(
                        sql.SQL("VACUUM ANALYZE {}.{}").format(
                            sql.Identifier(schema), sql.Identifier(table)
                        )
                    )
            print(f"PostgreSQL: stored {messages} messages in {took:.0f}s (the store's submit)")
            yield store, server_cpu(where)
        finally:
            store.close()


@contextlib.contextmanager
def sqlite(path: Path, messages: int) -> Iterator[MessageStore]:
    """The SQLite store at `path`, filled up to `messages` messages."""
    store = SQLiteStore(path, max_messages=0)
    have = store.count()
    if have < messages:
        started = time.perf_counter()
        fill(store, messages - have)
        took = time.perf_counter() - started
        print(f"SQLite: stored {messages - have} messages in {took:.0f}s (the store's submit)")
    try:
        yield store
    finally:
        store.close()
