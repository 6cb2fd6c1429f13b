#!/usr/bin/env python3
"""A bounded soak of the real `mailtrap serve`: SMTP senders, API readers and an event-socket
reader at once, then checks. Exits non-zero, saying why, if any check fails.

    python benchmarks/soak.py [--seconds 60] [--senders 50] [--max-messages 10000]

Checks, in one run with retention pruning: no error reply and no failed request; no lost or
duplicated message, that is, every stored message is one that was acknowledged, none twice,
the store holds min(acknowledged, max-messages), and every acknowledged message that is gone
is one retention had to prune as among the oldest (see `verify`); the event socket announces
no new message twice, nor one that was never acknowledged; and, once retention is pruning,
resident memory stays flat (growth under --flat-mib). --max-messages 0 keeps everything, so
then every acknowledged message must be stored.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

from websockets.sync.client import connect


def start(db: Path, max_messages: int) -> tuple[subprocess.Popen[str], tuple[str, int], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailtrap",
            "serve",
            "--smtp",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--db",
            str(db),
            "--max-messages",
            str(max_messages),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "XDG_DATA_HOME": str(db.parent)},
    )
    assert proc.stderr is not None
    banner = ""
    deadline = time.monotonic() + 30
    while "Store" not in banner and time.monotonic() < deadline:
        banner += proc.stderr.readline()
    smtp = re.search(r"SMTP\s+(\S+):(\d+)", banner)
    web = re.search(r"Web\s+(http://\S+)", banner)
    if not (smtp and web):
        proc.kill()
        raise SystemExit(f"mailtrap did not start:\n{banner}")
    return proc, (smtp.group(1), int(smtp.group(2))), web.group(1)


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


class Acked(NamedTuple):
    """One message that got a 250: its Message-ID, and when (monotonic) its sending began and
    its 250 arrived."""

    mid: str
    sent: float
    acked: float


def verify(
    url: str,
    acked: list[list[Acked]],
    announced: list[str],
    *,
    max_messages: int,
    memory: list[float],
    flat_mib: float,
) -> list[str]:
    """What is wrong with the store after the load, if anything.

    `acked[n]` is sender n's acknowledged messages in the order sent (each sender sends its
    next message only after the 250 for the one before); `announced` is the Message-IDs of
    the event socket's `new` events. Retention deletes the lowest arrival sequence first, and
    a message's sequence is fixed when it is committed, before its 250. So, with senders
    running concurrently, a store that lost or duplicated nothing satisfies exactly:

    - every stored message was acknowledged, and none is stored twice;
    - it holds min(acknowledged, max_messages) messages (all of them with max_messages 0);
    - for each sender, the stored messages are a suffix of its acknowledged ones: pruning
      took that sender's oldest first, and nothing after a kept one is missing;
    - across senders, no missing message began sending after a stored one had its 250: that
      one arrived later, so retention would have deleted the stored one first.
    """
    problems = []
    stored: list[str] = []
    total = get(url + "/api/v1/messages?limit=1")["total"]
    while page := get(url + f"/api/v1/messages?start={len(stored)}&limit=1000")["messages"]:
        stored += [m["MessageID"] for m in page]
    if len(stored) != total:
        problems.append(f"listing every page gave {len(stored)} messages; the total says {total}")
    where = {m.mid: (n, i) for n, sent in enumerate(acked) for i, m in enumerate(sent)}
    expected = min(len(where), max_messages) if max_messages else len(where)
    if total != expected:
        problems.append(f"store holds {total} messages, expected {expected}")
    if doubled := [mid for mid, k in Counter(stored).items() if k > 1]:
        problems.append(f"{len(doubled)} messages stored more than once, e.g. {doubled[0]}")
    if unknown := [mid for mid in set(stored) if mid not in where]:
        problems.append(f"{len(unknown)} stored messages were never acknowledged: {unknown[0]}")
    kept = set(stored)
    for n, sent in enumerate(acked):
        held = [i for i, m in enumerate(sent) if m.mid in kept]
        if held != list(range(len(sent) - len(held), len(sent))):
            gap = next(i for i in range(held[0], len(sent)) if sent[i].mid not in kept)
            problems.append(
                f"sender {n}: {sent[gap].mid} is missing though an older message of the same"
                f" sender is stored; retention removes only the oldest"
            )
    gone = [m for sent in acked for m in sent if m.mid not in kept]
    present = [m for sent in acked for m in sent if m.mid in kept]
    if gone and present:
        newest_gone = max(gone, key=lambda m: m.sent)
        oldest_kept = min(present, key=lambda m: m.acked)
        if newest_gone.sent > oldest_kept.acked:
            problems.append(
                f"{newest_gone.mid} is missing though it was sent after {oldest_kept.mid} was"
                f" acknowledged, and that one is stored; retention removes only the oldest"
            )
    if doubled := [mid for mid, k in Counter(announced).items() if k > 1]:
        problems.append(f"the event socket announced {len(doubled)} messages twice: {doubled[0]}")
    if unknown := [mid for mid in set(announced) if mid not in where]:
        problems.append(f"the event socket announced an unacknowledged message: {unknown[0]}")
    if not announced:
        problems.append("the event socket announced no new message")
    growth = (max(memory) - memory[0]) if len(memory) > 1 else 0.0
    if growth > flat_mib:
        problems.append(f"RSS grew {growth:.0f} MiB after retention started pruning")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--max-messages", type=int, default=10_000)
    parser.add_argument("--flat-mib", type=float, default=25, help="allowed RSS growth")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="mailtrap-soak-"))
    proc, smtp, url = start(tmp / "soak.db", args.max_messages)
    deadline = time.monotonic() + args.seconds
    # Per sender, in the order sent; each list is appended to by its own thread only.
    acked: list[list[Acked]] = [[] for _ in range(args.senders)]
    announced: list[str] = []  # Message-IDs of the event socket's `new` events
    errors: list[str] = []
    reads = [0]
    memory: list[float] = []  # RSS in MiB, sampled once retention is pruning

    def acked_so_far() -> int:
        return sum(map(len, acked))

    def sender(n: int) -> None:
        try:
            with smtplib.SMTP(*smtp, timeout=30) as client:
                i = 0
                while time.monotonic() < deadline:
                    mid = f"{n}.{i}@soak"  # unique: sender, then its sequence number
                    sent = time.monotonic()
                    client.sendmail(
                        "s@example.com",
                        ["r@example.com"],
                        f"Message-ID: <{mid}>\r\nSubject: {mid}\r\n\r\nbody\r\n".encode(),
                    )
                    acked[n].append(Acked(mid, sent, time.monotonic()))
                    i += 1
        except Exception as exc:
            errors.append(f"sender {n}: {exc!r}")

    def reader() -> None:
        try:
            while time.monotonic() < deadline:
                for path in ("/api/v1/messages?limit=50", "/api/v1/search?query=body&limit=20"):
                    get(url + path)
                    reads[0] += 1
                info = get(url + "/api/v1/info")
                if acked_so_far() > args.max_messages:
                    memory.append(info["RuntimeStats"]["Memory"] / 2**20)
        except Exception as exc:
            errors.append(f"reader: {exc!r}")

    def watcher() -> None:
        try:
            with connect(url.replace("http", "ws") + "/api/events") as ws:
                while time.monotonic() < deadline:
                    try:
                        event = json.loads(ws.recv(timeout=1))
                    except TimeoutError:
                        continue
                    if event["Type"] == "new":
                        announced.append(event["Data"]["MessageID"])
        except Exception as exc:
            errors.append(f"watcher: {exc!r}")

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(args.senders)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    threads.append(threading.Thread(target=watcher))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=args.seconds + 60)

    problems = list(errors[:5])
    # A sender still running could yet add to what is stored and acknowledged.
    problems += [f"{t.name} was still running after the load" for t in threads if t.is_alive()]
    try:
        problems += verify(
            url,
            acked,
            announced,
            max_messages=args.max_messages,
            memory=memory,
            flat_mib=args.flat_mib,
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    if code != 0:
        problems.append(f"mailtrap exited with {code}")
    rate = acked_so_far() / args.seconds
    rss = f"{memory[0]:.0f}->{max(memory):.0f}" if memory else "-"
    print(
        f"soak: {acked_so_far()} messages in {args.seconds:.0f}s ({rate:.0f}/s) from "
        f"{args.senders} senders, {reads[0]} API reads, {len(announced)} live events, "
        f"RSS {rss} MiB while pruning"
    )
    for problem in problems:
        print("FAIL:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
