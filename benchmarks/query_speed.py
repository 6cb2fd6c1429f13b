#!/usr/bin/env python3
"""Query speed with a large SQLite mailbox, over real HTTP.

    python benchmarks/query_speed.py [--messages 100000] [--rounds 50] [--db PATH]

Fills a SQLite store (or reuses --db), serves it with uvicorn on a free loopback port, and
reports the median and 95th percentile of: the first page of the list, a free-text search,
a message's detail, and the inbox page of the UI.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from mailtrap import Envelope, SQLiteStore
from mailtrap.web import create_app
from mailtrap.web.serve import bind_http

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


def fill(store: SQLiteStore, messages: int) -> None:
    rng = random.Random(1)
    env = Envelope("app@example.com", ("user@example.com",))
    batch = []
    for i in range(messages):
        subject = " ".join(rng.choices(WORDS, k=4)) + f" #{i}"
        body = " ".join(rng.choices(WORDS, k=120))
        raw = (
            f"From: App <app@example.com>\r\nTo: user{i % 500}@example.com\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{i}@bench>\r\n\r\n{body}\r\n"
        ).encode()
        batch.append(store.submit(raw, env))
        if len(batch) >= 500:
            for future in batch:
                future.result()
            batch = []
    for future in batch:
        future.result()


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
    sock = bind_http("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(store), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with httpx.Client(base_url=url, timeout=30) as client:
        some_id = client.get(
            "/api/v1/messages", params={"start": store.count() // 2, "limit": 1}
        ).json()["messages"][0]["ID"]
        cases = [
            ("list, first page", "/api/v1/messages?limit=50"),
            ("free-text search", "/api/v1/search?query=invoice%20shipped&limit=50"),
            ("message detail", f"/api/v1/message/{some_id}"),
            ("UI inbox page", "/"),
        ]
        print(f"{store.count():,} messages stored; {args.rounds} rounds each, over HTTP")
        for label, target in cases:
            median, p95 = timed(client, target, args.rounds)
            print(f"  {label:<18} median {median:6.1f} ms   p95 {p95:6.1f} ms")
    server.should_exit = True
    thread.join()
    store.close()


if __name__ == "__main__":
    main()
