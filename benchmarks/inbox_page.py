#!/usr/bin/env python3
"""How fast the inbox page loads with a large SQLite mailbox, sidebar included, over HTTP.

    python benchmarks/inbox_page.py [--messages 100000] [--rounds 50] [--tag-every 10] [--db PATH]

Fills a SQLite store once (or tops up --db), one message in `--tag-every` carrying one of a few
tags (so the sidebar's tag counts walk that many rows), serves it with uvicorn on a free
loopback port, and reports the median and 95th percentile of `--rounds` GETs of: the inbox
page (`/`, the issue's target: a median of 150 ms or less at 100,000 messages), the inbox at
200 rows a page, and a tag's search page. Beside them, in-process, the store queries the
sidebar adds to each page: the counts, the tags with their counts, and the database's size.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from inthread import served

from mailtrap import Envelope, SQLiteStore
from mailtrap.web import create_app

TAGS = ["billing", "newsletter", "alerts", "signup", "reports", "two words", "ci", "support"]
WORDS = [
    "invoice",
    "order",
    "shipped",
    "password",
    "reset",
    "welcome",
    "weekly",
    "meeting",
    "account",
    "receipt",
]
TARGET_MS = 150


def fill(store: SQLiteStore, first: int, count: int, tag_every: int) -> None:
    rng = random.Random(first)
    env = Envelope("app@example.com", ("user@example.com",))
    pending = []
    for i in range(first, first + count):
        tag = TAGS[i // max(tag_every, 1) % len(TAGS)]
        tags = f"X-Tags: {tag}\r\n" if tag_every and i % tag_every == 0 else ""
        raw = (
            f"From: App <app@example.com>\r\nTo: User {i % 500} <user{i % 500}@example.com>, "
            f"team@example.com\r\nSubject: {' '.join(rng.choices(WORDS, k=5))} #{i}\r\n"
            f"Message-ID: <{i}@inbox-bench>\r\n{tags}Content-Type: text/plain; charset=utf-8\r\n"
            f"\r\n{' '.join(rng.choices(WORDS, k=80))}\r\n"
        ).encode()
        pending.append(store.submit(raw, env))
        if len(pending) >= 500:  # the writer commits in groups; keep a few groups queued
            for future in pending:
                future.result()
            pending = []
    for future in pending:
        future.result()


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def timed(call: Callable[[], object], rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def get(client: httpx.Client, path: str) -> Callable[[], object]:
    def call() -> object:
        response = client.get(path)
        response.raise_for_status()
        return response

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--tag-every", type=int, default=10, help="0: no message is tagged")
    parser.add_argument("--db", type=Path, help="a store to reuse (topped up to --messages)")
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp(prefix="mailtrap-inbox-")) / "mail.db"
    store = SQLiteStore(path, max_messages=0)
    have = store.count()
    if have < args.messages:
        started = time.perf_counter()
        fill(store, have, args.messages - have, args.tag_every)
        print(f"stored {args.messages - have:,} messages in {time.perf_counter() - started:.0f} s")
    tags = store.tags()
    print(
        f"{store.count():,} messages, {sum(tags.values()):,} tagged with {len(tags)} tags; "
        f"{args.rounds} rounds each"
    )
    print(" the sidebar's store queries, in-process:")
    for label, query in [
        ("counts (total, unread)", lambda: (store.count(), store.count(unread=True))),
        ("tags with their counts", store.tags),
        ("database size", store.storage_size),
    ]:
        median, p95 = timed(query, args.rounds)
        print(f"  {label:<26} median {median:6.2f} ms   p95 {p95:6.2f} ms")
    with served(create_app(store)) as url:
        print(" pages over HTTP:")
        with httpx.Client(base_url=url, timeout=30) as client:
            inbox = 0.0
            for label, path in [
                ("inbox page (/)", "/"),
                ("inbox, 200 rows a page", "/?limit=200"),
                ("a tag's search page", "/?q=tag:billing"),
            ]:
                get(client, path)()  # warm: the first request pays for imports and caches
                median, p95 = timed(get(client, path), args.rounds)
                inbox = inbox or median
                print(f"  {label:<26} median {median:6.1f} ms   p95 {p95:6.1f} ms")
        verdict = "within" if inbox <= TARGET_MS else "OVER"
        print(f"inbox page median {inbox:.1f} ms: {verdict} the {TARGET_MS} ms target")
    store.close()


if __name__ == "__main__":
    main()
