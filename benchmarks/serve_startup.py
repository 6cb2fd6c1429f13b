#!/usr/bin/env python3
"""How long `mailtrap serve` takes to be ready, and what the memory store costs per message.

    python benchmarks/serve_startup.py [--rounds 10] [--messages 20000]

1. Starts `mailtrap serve` (SQLite in a fresh temporary directory) N times and times each from
   the exec until the SMTP port answers with its 220 greeting and GET /api/v1/info answers 200:
   median and worst.
2. Starts `mailtrap serve --memory`, sends M 2 KiB messages over one SMTP connection, and
   reports the server's resident-memory growth divided by M.
"""

from __future__ import annotations

import argparse
import shutil
import smtplib
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from ports import unused_ports

DEADLINE = 30.0  # seconds; every wait below gives up then, so a broken server fails the run


def serve(tmp: Path, *extra: str) -> tuple[subprocess.Popen[bytes], int, int]:
    smtp, http = unused_ports(2)
    exe = shutil.which("mailtrap") or "mailtrap"
    cmd = [exe, "serve", "--smtp", f"127.0.0.1:{smtp}", "--http", f"127.0.0.1:{http}", *extra]
    if "--memory" not in extra:
        cmd += ["--db", str(tmp / "mail.db")]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, smtp, http


def wait_ready(proc: subprocess.Popen[bytes], smtp: int, http: int) -> None:
    deadline = time.monotonic() + DEADLINE
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"mailtrap serve exited with {proc.returncode} before it was ready")
        if time.monotonic() > deadline:
            raise SystemExit(f"mailtrap serve was not ready after {DEADLINE:.0f}s")
        try:
            with socket.create_connection(("127.0.0.1", smtp), timeout=1) as sock:
                if not sock.recv(64).startswith(b"220"):
                    continue
            with urllib.request.urlopen(f"http://127.0.0.1:{http}/api/v1/info", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.005)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def startup(rounds: int) -> None:
    samples = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            proc, smtp, http = serve(Path(tmp))
            try:
                wait_ready(proc, smtp, http)
                samples.append(time.perf_counter() - started)
            finally:
                stop(proc)
    print(f"mailtrap serve ready (SMTP 220 and GET /api/v1/info 200), {rounds} starts:")
    median, worst = statistics.median(samples) * 1000, max(samples) * 1000
    print(f"  median {median:.0f} ms, worst {worst:.0f} ms")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit("no VmRSS in /proc (this measurement needs Linux)")


def memory_cost(messages: int) -> None:
    body = ("x" * 76 + "\r\n") * 26  # about 2 KiB, like smtp-source -l 2048
    with tempfile.TemporaryDirectory() as tmp:
        proc, smtp, http = serve(Path(tmp), "--memory", "--max-messages", "0")
        try:
            wait_ready(proc, smtp, http)
            before = rss_kib(proc.pid)
            with smtplib.SMTP("127.0.0.1", smtp, timeout=DEADLINE) as client:
                for n in range(messages):
                    msg = f"From: a@example.com\r\nTo: b@example.com\r\nSubject: m{n}\r\n\r\n{body}"
                    client.sendmail("a@example.com", ["b@example.com"], msg)
            after = rss_kib(proc.pid)
        finally:
            stop(proc)
    per = (after - before) * 1024 / messages
    print(
        f"memory store: {messages} messages of {len(body) + 60} B: RSS {before // 1024} -> "
        f"{after // 1024} MiB, {per / 1024:.1f} KiB per message"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--messages", type=int, default=20000)
    args = parser.parse_args()
    startup(args.rounds)
    memory_cost(args.messages)


if __name__ == "__main__":
    main()
