#!/usr/bin/env python3
"""Query speed with a large mailbox, SQLite and PostgreSQL side by side in one run.

    python benchmarks/query_speed.py [--messages 100000] [--rounds 50] [--db PATH]
        [--database-url URL | --no-postgres]

Fills a SQLite store (or reuses --db) and a PostgreSQL store (a fresh schema in a throwaway
cluster started here with Debian's initdb/pg_ctl, or on the server at --database-url; the
schema is dropped at the end) with the same messages, each through the store's own `submit`
in batches of 500: the write path SMTP ingest takes, so the rows (summary, raw mail, folded
search text, tags) are what ingest would store. PostgreSQL is then VACUUM ANALYZEd, as its
autovacuum does on its own after a bulk insert. Both stores are served with uvicorn on free
loopback ports, and each case is timed over HTTP and in-process against the store
(`store.list`, `store.get`, `store.search`), so that HTTP's share shows apart; the stores take
turns round by round, so a change in the machine's load falls on both. Reports the median and
95th percentile in ms, and for the in-process calls the CPU time a call used on average (this
process's, and the PostgreSQL server's where it runs on this machine): unlike the clock, it
hardly moves with the load of a shared machine (the load average is printed at the start and
the end). Selective searches match a few messages; broad ones match most of the mailbox (every
body draws on the same few words), so their counts check most messages.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import httpx
from bigbox import postgres, sqlite
from inthread import served

from mailtrap.storage.base import MessageStore
from mailtrap.web import create_app

Server = Callable[[], float] | None
# The targets for PostgreSQL at 100,000 messages (issue 21), p95 in ms.
LIST_TARGET, BROAD_TARGET = 5.0, 150.0


SELECTIVE = [
    ("word in subject", "12345"),  # also a substring of 112345, and Message-IDs
    ("substring of a number", "2345"),
    ("to: part of an address", "to:user123@"),
    ("message-id: partial", "message-id:4321@bench"),
    ("CJK substring", "订单"),
    ("Greek word", "Ελληνικά"),
    ("word and flags", "12345 is:unread larger:100"),
    ("two-letter term", "#9 12"),
    ("emoji", "🔥"),
]
BROAD = [
    ("free-text search", "invoice shipped"),
    ("word in most bodies", "invoice"),
    ("substring (voice)", "voice"),
    ("from: a fifth", "from:billing"),
    ("from: every message", "from:example.com"),
    ("negated field", "!from:app"),
    ("date", "after:2000/01/01"),
]


@dataclass
class Target:
    """One store, served over HTTP; the message whose detail is timed; `server`, a reader of
    the CPU seconds the store's server has used so far (None: no server, or not seen)."""

    name: str
    store: MessageStore
    client: httpx.Client
    server: Server
    detail: str = ""


@dataclass(frozen=True)
class Case:
    """What is timed: `path` over HTTP, and `local` (if any) in-process, for a target."""

    label: str
    path: str  # with {detail} for the target's message
    local: Callable[[Target], object] | None = None
    query: str = ""


def searching(label: str, query: str) -> Case:
    path = "/api/v1/search?" + urlencode({"query": query, "limit": 50})
    return Case(label, path, lambda t: t.store.search(query, 0, 50), query)


GROUPS = [
    (
        "pages",
        [
            Case("list, first page", "/api/v1/messages?limit=50", lambda t: t.store.list()),
            Case("UI inbox page", "/"),
            Case(
                "message detail",
                "/api/v1/message/{detail}",
                lambda t: t.store.get(t.detail),
            ),
        ],
    ),
    ("selective searches", [searching(label, q) for label, q in SELECTIVE]),
    ("broad searches (most messages match)", [searching(label, q) for label, q in BROAD]),
]


def stats(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile (nearest rank) of `samples`, in ms."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]


def taking_turns(
    calls: list[Callable[[], object]], rounds: int, servers: list[Server] | None = None
) -> list[tuple[float, float]]:
    """Each of `calls` `rounds` times, taking turns; the median and p95 of each, in ms. With
    `servers` (each call's reader of its server's CPU seconds, or None), the CPU ms a call used
    on average too: this process's and its server's."""
    samples: list[list[float]] = [[] for _ in calls]
    used = [0.0] * len(calls)
    for _ in range(rounds):
        for n, call in enumerate(calls):
            server = servers[n] if servers else None
            before = server() if server else 0.0  # read first: the reading costs CPU too
            cpu = time.process_time()
            started = time.perf_counter()
            call()
            samples[n].append((time.perf_counter() - started) * 1000)
            used[n] += time.process_time() - cpu + (server() - before if server else 0.0)
    cells = [stats(s) for s in samples]
    return cells + [(u / rounds * 1000, math.nan) for u in used] if servers else cells


def fetch(client: httpx.Client, path: str) -> httpx.Response:
    response = client.get(path)
    response.raise_for_status()
    return response


def time_case(case: Case, targets: list[Target], rounds: int) -> dict[tuple[str, str], float]:
    """Print `case`'s line (HTTP, then in-process, per target); its p95s by (target, way)."""
    paths = [case.path.format(detail=t.detail) for t in targets]
    firsts = [fetch(t.client, p) for t, p in zip(targets, paths, strict=True)]
    cells = taking_turns(
        [partial(fetch, t.client, p) for t, p in zip(targets, paths, strict=True)], rounds
    )
    if case.local is not None:
        local = case.local
        cells += taking_turns(
            [partial(local, t) for t in targets], rounds, [t.server for t in targets]
        )
    line = "".join(f"  {m:6.1f}" if math.isnan(p) else f"  {m:6.1f} {p:6.1f}" for m, p in cells)
    if case.query:
        counts = [r.json()["messages_count"] for r in firsts]
        line += f"  {counts[0]:>7,} found"
        if len(set(counts)) > 1:
            line += (
                " (DIFFER: "
                + ", ".join(f"{t.name} {n}" for t, n in zip(targets, counts, strict=True))
                + ")"
            )
    print(f"  {case.label:<24}{line}")
    ways = [(t.name, way) for way in ("HTTP", "store") for t in targets]
    got = {way: p95 for way, (_, p95) in zip(ways, cells, strict=False)}
    if case.local is not None:  # the CPU ms a call used, on average
        cpu = cells[-len(targets) :]
        got |= {(t.name, "CPU"): mean for t, (mean, _) in zip(targets, cpu, strict=True)}
    return got


# (target, "HTTP" or "store") -> case -> p95; (target, "CPU") -> case -> CPU ms per call
P95s = dict[tuple[str, str], dict[str, float]]


def run(targets: list[Target], rounds: int) -> P95s:
    """Time every case on every target and print the table; the p95s."""
    for t in targets:  # the same message in each store (Message-IDs are unique)
        t.detail = t.store.search("message-id:<7@bench>").messages[0].id
    heads = [f"{t.name} HTTP" for t in targets] + [f"{t.name} store" for t in targets]
    cpu = "".join(f"  {t.name + ' CPU':>6}" for t in targets)
    print(f"  {'median, p95 in ms':<24}" + "".join(f"  {h:>13}" for h in heads) + cpu)
    p95s: P95s = {}
    for group, cases in GROUPS:
        print(f" {group}:")
        for case in cases:
            for way, p95 in time_case(case, targets, rounds).items():
                p95s.setdefault(way, {})[case.label] = p95
    return p95s


def verdicts(p95s: P95s) -> None:
    """PostgreSQL's p95s against issue 21's targets, in-process and over HTTP, beside SQLite's."""
    ways = [(name, way) for name in ("PG", "SQLite") for way in ("HTTP", "store")]

    def show(label: str, cases: dict[tuple[str, str], str], target: float) -> None:
        got = {way: p95s[way][cases[way]] for way in ways}
        http, store = got["PG", "HTTP"], got["PG", "store"]
        judged = [
            f"{'within' if p95 <= target else 'OVER'} {how}"
            for how, p95 in (("in-process", store), ("over HTTP", http))
        ]
        cpu = {name: p95s[name, "CPU"][cases[name, "store"]] for name in ("PG", "SQLite")}
        print(
            f"PostgreSQL {label} p95 {http:.1f} ms over HTTP, {store:.1f} ms in-process: "
            f"{', '.join(judged)} the {target:g} ms target "
            f"(SQLite: {got['SQLite', 'HTTP']:.1f} ms, {got['SQLite', 'store']:.1f} ms); "
            f"CPU per call in-process {cpu['PG']:.1f} ms (SQLite {cpu['SQLite']:.1f} ms)"
        )

    show("list", dict.fromkeys(ways, "list, first page"), LIST_TARGET)
    worst = {way: max((label for label, _ in BROAD), key=p95s[way].__getitem__) for way in ways}
    show(f"broad search (the worst of {len(BROAD)})", worst, BROAD_TARGET)
    for (name, way), label in worst.items():
        print(f"  worst broad search, {name} {way}: {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--db", type=Path, help="a SQLite file to fill, or reuse if it is full")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--database-url", help="a PostgreSQL server (default: start a throwaway cluster)"
    )
    where.add_argument("--no-postgres", action="store_true", help="time SQLite alone")
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp(prefix="mailtrap-query-")) / "mail.db"
    print(f"load average {os.getloadavg()[0]:.2f} at the start ({os.cpu_count()} CPUs)")
    with contextlib.ExitStack() as stack:
        stores: dict[str, tuple[MessageStore, Server]] = {
            "SQLite": (stack.enter_context(sqlite(path, args.messages)), None)
        }
        if not args.no_postgres:
            stores["PG"] = stack.enter_context(postgres(args.database_url, args.messages))
        targets = []
        for name, (store, server) in stores.items():
            url = stack.enter_context(served(create_app(store)))
            client = stack.enter_context(httpx.Client(base_url=url, timeout=30))
            targets.append(Target(name, store, client, server))
        counts = ", ".join(f"{t.name} {t.store.count():,}" for t in targets)
        print(f"messages stored: {counts}; {args.rounds} rounds each, the stores taking turns")
        if any(server is None for name, (_, server) in stores.items() if name == "PG"):
            print("(PostgreSQL runs elsewhere: its CPU column counts this process's alone)")
        p95s = run(targets, args.rounds)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    if len(targets) > 1:
        verdicts(p95s)


if __name__ == "__main__":
    main()
