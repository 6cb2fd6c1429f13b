#!/usr/bin/env python3
"""Query speed with a large SQLite mailbox, over real HTTP.

    python benchmarks/query_speed.py [--messages 100000] [--rounds 50] [--db PATH]

Fills a SQLite store (or reuses --db), serves it with uvicorn on a free loopback port, and
reports the median and 95th percentile of: the first page of the list, a message's detail,
the inbox page of the UI, and searches of each kind. Selective searches match a few messages;
broad ones match most of the mailbox (every message's body draws on the same few words), so
their counts walk most of the index: they are reported apart.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from inthread import served

from mailtrap import Envelope, SQLiteStore
from mailtrap.web import create_app

WORDS = [
    "invoice",
    "order",
    "shipped",
    "password",
    "reset",
    "welcome",
    "newsletter",
    "report",
    "weekly",
    "meeting",
    "account",
    "security",
    "alert",
    "receipt",
    "payment",
    "failed",
    "confirm",
    "address",
    "update",
]


# One message in a hundred has a subject in another script, for the CJK and Greek searches.
FOREIGN = ["您的订单已发货", "Ελληνικά νέα", "ご注文の確認", "주문 확인"]


def fill(store: SQLiteStore, messages: int) -> None:
    rng = random.Random(1)
    env = Envelope("app@example.com", ("user@example.com",))
    batch = []
    for i in range(messages):
        subject = " ".join(rng.choices(WORDS, k=4)) + f" #{i}"
        if i % 100 == 0:
            subject = f"{FOREIGN[i // 100 % len(FOREIGN)]} {subject}"
        body = " ".join(rng.choices(WORDS, k=120))
        raw = (
            f"From: App <app@example.com>\r\nTo: user{i % 500}@example.com\r\n"
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


def search(query: str) -> str:
    return "/api/v1/search?" + urlencode({"query": query, "limit": 50})


PAGES = [("list, first page", "/api/v1/messages?limit=50"), ("UI inbox page", "/")]
SELECTIVE = [
    ("word in subject", search("12345")),  # also a substring of 112345, and Message-IDs
    ("substring of a number", search("2345")),
    ("to: part of an address", search("to:user123@")),
    ("message-id: partial", search("message-id:4321@bench")),
    ("CJK substring", search("订单")),
    ("Greek word", search("Ελληνικά")),
    ("word and flags", search("12345 is:unread larger:100")),
    ("two-letter term", search("#9 12")),
    ("emoji", search("🔥")),
]
BROAD = [
    ("free-text search", search("invoice shipped")),
    ("substring (voice)", search("voice")),
    ("negated field", search("!from:app")),
    ("date", search("after:2000/01/01")),
]


def timed(client: httpx.Client, path: str, rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp(prefix="mailtrap-query-")) / "mail.db"
    store = SQLiteStore(path, max_messages=0)
    have = store.count()
    if have < args.messages:
        started = time.perf_counter()
        fill(store, args.messages - have)
        print(f"stored {args.messages - have} messages in {time.perf_counter() - started:.0f}s")
    with served(create_app(store)) as url, httpx.Client(base_url=url, timeout=30) as client:
        some_id = client.get(
            "/api/v1/messages", params={"start": store.count() // 2, "limit": 1}
        ).json()["messages"][0]["ID"]
        print(f"{store.count():,} messages stored; {args.rounds} rounds each, over HTTP")
        for group, cases in [
            ("pages", [*PAGES, ("message detail", f"/api/v1/message/{some_id}")]),
            ("selective searches", SELECTIVE),
            ("broad searches (most messages match)", BROAD),
        ]:
            print(f" {group}:")
            for label, target in cases:
                first = client.get(target)
                if first.status_code != 200:
                    print(f"  {label:<24} refused: {first.status_code} {first.text[:80]}")
                    continue
                median, p95 = timed(client, target, args.rounds)
                found = ""
                if target.startswith("/api/v1/search"):
                    found = f"   {first.json()['messages_count']:>7,} found"
                print(f"  {label:<24} median {median:6.1f} ms   p95 {p95:6.1f} ms{found}")
    store.close()


if __name__ == "__main__":
    main()
