#!/usr/bin/env python3
"""A bounded soak of the real `mailtrap serve`: SMTP senders, API readers and an event-socket
reader at once, then checks. Exits non-zero, saying why, if any check fails.

    python benchmarks/soak.py [--seconds 60] [--senders 50] [--max-messages 10000]

Checks: no error reply and no failed request; every stored message is one that was
acknowledged, none twice; the store holds min(acknowledged, max-messages); and, once
retention is pruning, resident memory stays flat (growth under --flat-mib).
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
from pathlib import Path
from typing import Any

from websockets.sync.client import connect


def start(db: Path, max_messages: int) -> tuple[subprocess.Popen[str], tuple[str, int], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailtrap", "serve", "--smtp", "127.0.0.1:0", "--http",
         "127.0.0.1:0", "--db", str(db), "--max-messages", str(max_messages)],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "XDG_DATA_HOME": str(db.parent)},
    )  # fmt: skip
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


def verify(
    url: str, acked: list[str], max_messages: int, memory: list[float], flat_mib: float
) -> list[str]:
    """What is wrong with the store after the load, if anything."""
    problems = []
    stored: list[str] = []
    total = get(url + "/api/v1/messages?limit=1")["total"]
    for start_at in range(0, total, 1000):
        page = get(url + f"/api/v1/messages?start={start_at}&limit=1000")
        stored += [m["MessageID"] for m in page["messages"]]
    expected = min(len(acked), max_messages) if max_messages else len(acked)
    if total != expected:
        problems.append(f"store holds {total} messages, expected {expected}")
    if len(set(stored)) != len(stored):
        problems.append(f"{len(stored) - len(set(stored))} duplicated messages")
    if not set(stored) <= set(acked):
        problems.append("the store holds messages that were never acknowledged")
    if not max_messages and set(stored) != set(acked):
        problems.append(f"{len(set(acked) - set(stored))} acknowledged messages are missing")
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
    acked: list[str] = []
    errors: list[str] = []
    reads, events = [0], [0]
    memory: list[float] = []  # RSS in MiB, sampled once retention is pruning

    def sender(n: int) -> None:
        try:
            with smtplib.SMTP(*smtp, timeout=30) as client:
                i = 0
                while time.monotonic() < deadline:
                    mid = f"{n}.{i}@soak"
                    client.sendmail(
                        "s@example.com",
                        ["r@example.com"],
                        f"Message-ID: <{mid}>\r\nSubject: {mid}\r\n\r\nbody\r\n".encode(),
                    )
                    acked.append(mid)
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
                if len(acked) > args.max_messages:
                    memory.append(info["RuntimeStats"]["Memory"] / 2**20)
        except Exception as exc:
            errors.append(f"reader: {exc!r}")

    def watcher() -> None:
        try:
            with connect(url.replace("http", "ws") + "/api/events") as ws:
                while time.monotonic() < deadline:
                    try:
                        events[0] += json.loads(ws.recv(timeout=1))["Type"] == "new"
                    except TimeoutError:
                        continue
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
    try:
        problems += verify(url, acked, args.max_messages, memory, args.flat_mib)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    if code != 0:
        problems.append(f"mailtrap exited with {code}")
    rate = len(acked) / args.seconds
    rss = f"{memory[0]:.0f}->{max(memory):.0f}" if memory else "-"
    print(
        f"soak: {len(acked)} messages in {args.seconds:.0f}s ({rate:.0f}/s) from "
        f"{args.senders} senders, {reads[0]} API reads, {events[0]} live events, "
        f"RSS {rss} MiB while pruning"
    )
    for problem in problems:
        print("FAIL:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
