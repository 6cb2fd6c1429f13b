#!/usr/bin/env python3
"""What the pytest plugin costs: to a run that never uses it, per test that does, and the
delivery-to-`wait_for` latency.

    python benchmarks/pytest_overhead.py [--tests 2000] [--messages 500] [--best-of 3]
                                         [--idle-runs 20]

0. What installing the plugin costs a pytest run that requests no mailtrap fixture: the
   plugin's import on top of pytest's (median of fresh processes), and a one-test run with the
   plugin against one with `-p no:mailtrap` (the best of `--idle-runs` each, interleaved).
1. Runs two generated suites of N trivial tests in fresh pytest processes, one requesting the
   `mailtrap` fixture and one not, and reports the difference per test; and times the
   session server's start-up on its own.
2. Sends messages over SMTP to an in-process server and times each from just before `sendmail`
   until `Mailbox.wait_for` returns it: median and 95th percentile.
"""

from __future__ import annotations

import argparse
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mailtrap import Mailbox, MemoryStore, SMTPServer

SUITE = """
import pytest

@pytest.mark.parametrize("n", range({n}))
def test_it({fixture}n):
    pass
"""


IMPORT_TIME = """
import sys, time
import pytest
started = time.perf_counter()
import mailtrap.pytest_plugin.plugin
print((time.perf_counter() - started) * 1000)
"""


def idle_cost(runs: int) -> None:
    """What a run that never requests a fixture pays for the plugin being installed."""
    imports = [
        float(
            subprocess.run(
                [sys.executable, "-c", IMPORT_TIME], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(runs)
    ]
    print(f"plugin import on top of pytest's: median {statistics.median(imports):.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "test_idle.py"
        path.write_text("def test_it():\n    pass\n")
        timings: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(runs):  # interleaved, so load on the machine hits both alike
            for loaded in (False, True):
                command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
                started = time.perf_counter()
                subprocess.run(
                    [*command, *([] if loaded else ["-p", "no:mailtrap"]), str(path)],
                    cwd=tmp,
                    check=True,
                    capture_output=True,
                )
                timings[loaded].append((time.perf_counter() - started) * 1000)
    bare, loaded_ms = min(timings[False]), min(timings[True])
    # The spread of one variant's best few runs: a difference below it is noise, not cost.
    spread = max(sorted(t)[min(2, runs - 1)] - min(t) for t in timings.values())
    print(
        f"a one-test run without fixtures, best of {runs}: {bare:.0f} ms with -p no:mailtrap, "
        f"{loaded_ms:.0f} ms with the plugin: {loaded_ms - bare:+.1f} ms "
        f"(noise: the best three runs of one kind span {spread:.1f} ms)"
    )


def run_suite(tests: int, with_fixture: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "test_generated.py"
        fixture = "mailtrap, " if with_fixture else ""
        path.write_text(SUITE.format(n=tests, fixture=fixture))
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
            cwd=tmp,
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - started


def fixture_overhead(tests: int, best_of: int) -> None:
    # Best of several each: pytest's own start-up varies by tens of milliseconds between runs.
    bare = min(run_suite(tests, False) for _ in range(best_of))
    with_fixture = min(run_suite(tests, True) for _ in range(best_of))
    per_test_ms = (with_fixture - bare) / tests * 1000
    print(f"suite of {tests} tests: {bare:.2f}s without the fixture, {with_fixture:.2f}s with it")
    print(f"  fixture cost per test, server start included: {per_test_ms:.3f} ms")


def server_startup(rounds: int = 20) -> None:
    samples = []
    for _ in range(rounds):
        server = SMTPServer(MemoryStore(), port=0)
        started = time.perf_counter()
        server.start()
        samples.append((time.perf_counter() - started) * 1000)
        server.stop()
    print(f"SMTPServer.start(), once per session: median {statistics.median(samples):.1f} ms")


def delivery_latency(messages: int) -> None:
    store = MemoryStore(max_messages=0)
    with SMTPServer(store, port=0) as server, smtplib.SMTP(server.host, server.port) as client:
        samples = []
        for i in range(messages):
            box = Mailbox(store, host=server.host, port=server.port)
            started = time.perf_counter()
            client.sendmail("a@example.com", ["b@example.com"], f"Subject: m{i}\r\n\r\nhi".encode())
            box.wait_for(subject=f"m{i}")
            samples.append((time.perf_counter() - started) * 1000)
            box.close()
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(
        f"delivery to wait_for return over {messages} messages: "
        f"median {statistics.median(samples):.2f} ms, p95 {p95:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--best-of", type=int, default=3, help="runs of each suite")
    parser.add_argument("--idle-runs", type=int, default=20, help="runs of the idle comparison")
    args = parser.parse_args()
    idle_cost(args.idle_runs)
    fixture_overhead(args.tests, args.best_of)
    server_startup()
    delivery_latency(args.messages)


if __name__ == "__main__":
    main()
