"""How benchmarks/ingest.py loads a target: smtp-source sends the messages over the sessions
asked for, then the target's API is polled until it shows all of them."""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable

from ingest_report import Row
from ingest_targets import COUNTS, count, locate, postfix_env
from procstat import cpu_seconds, rss_mib


def scrape(http: int, done: threading.Event) -> None:
    """GET /metrics once a second until `done`."""
    while not done.wait(1.0):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics", timeout=10).close()


def send(args: argparse.Namespace, smtps: list[int]) -> str | None:
    """Send the messages with smtp-source, the sessions and messages split evenly over one
    smtp-source per port in `smtps`, all at once; None, or why one failed."""
    each = len(smtps)

    def share(total: int, k: int) -> str:
        return str(total // each + (1 if k < total % each else 0))

    senders = []
    for k, smtp in enumerate(smtps):
        argv = [str(locate("smtp-source")), "-s", share(args.sessions, k)]
        argv += ["-m", share(args.messages, k), "-l", str(args.size)]
        argv += [*([] if args.new_connections else ["-d"]), f"127.0.0.1:{smtp}"]
        senders.append(
            subprocess.Popen(
                argv, env=postfix_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        )
    deadline = time.monotonic() + args.timeout
    try:
        for sender in senders:
            output = sender.communicate(timeout=max(0.1, deadline - time.monotonic()))[0]
            if sender.returncode != 0:
                return f"smtp-source failed: {output.strip()[-200:]}"
    finally:
        for sender in senders:
            if sender.poll() is None:
                sender.kill()
                sender.wait()
    return None


def load(
    row: Row,
    args: argparse.Namespace,
    smtps: list[int],
    http: int,
    pids: list[int],
    *,
    db_cpu: Callable[[], float] | None,
) -> None:
    """Send the messages to the `smtps` ports, then poll the API on `http` until all show; fill
    in `row` (the CPU of the `pids` process trees, and the database server's, which `db_cpu`
    reads when it runs here)."""
    cpu_before, db_before = cpu_seconds(pids), db_cpu() if db_cpu else None
    loaded = threading.Event()
    if row.target == "mailtrap-hooks":  # scraped as Prometheus would, if far more often
        threading.Thread(target=scrape, args=(http, loaded), daemon=True).start()
    started = time.monotonic()
    try:
        failed = send(args, smtps)
    finally:
        loaded.set()
    if failed:
        row.note = failed
        return
    row.accepted_per_s = args.messages / (time.monotonic() - started)
    if row.target not in COUNTS:
        row.rate = row.accepted_per_s
    else:
        visible = -1
        while time.monotonic() - started < args.timeout:
            try:
                visible = count(row.target, http)
            except (OSError, ValueError):
                visible = -1  # a busy API that timed out is asked again
            if visible >= args.messages:
                break
            time.sleep(0.05)
        row.visible, row.visible_after_s = visible, time.monotonic() - started
        if visible >= args.messages:
            row.rate = args.messages / row.visible_after_s
        else:
            row.note = f"{visible} of {args.messages} visible after {args.timeout:.0f} s"
    row.rss_after_mib = rss_mib(pids)
    cpu_after, db_after = cpu_seconds(pids), db_cpu() if db_cpu else None
    if cpu_before is not None and cpu_after is not None and row.rate:
        row.cpu_us_per_msg = (cpu_after - cpu_before) * 1e6 / args.messages
    if db_before is not None and db_after is not None and row.rate:
        row.db_cpu_us_per_msg = (db_after - db_before) * 1e6 / args.messages
