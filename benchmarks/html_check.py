#!/usr/bin/env python3
"""How long the HTML check of a large newsletter takes: in-process, and over HTTP.

    python benchmarks/html_check.py [--rounds 20] [--mail tests/data/marketing-large-newsletter.eml]

Reports the median and worst of `mailtrap.checks.html.check_html` on the mail's HTML part
(the check alone: parse, CSS scan, scores), and of `GET /api/v1/message/{ID}/html-check`
against uvicorn on a free loopback port, each round on a fresh copy of the message (so the
message is parsed for that request, as when a client checks new mail). The caniemail data
loads once, before the first round, as in a running server.
"""

from __future__ import annotations

import argparse
import statistics
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
from inthread import served

from mailtrap import Envelope, MemoryStore
from mailtrap.checks.caniemail import database
from mailtrap.checks.html import check_html
from mailtrap.web import create_app

MAIL = Path(__file__).resolve().parents[1] / "tests" / "data" / "marketing-large-newsletter.eml"


def report(label: str, samples: list[float]) -> None:
    median, worst = statistics.median(samples), max(samples)
    print(f"  {label:<26} median {median:6.1f} ms   worst {worst:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--mail", type=Path, default=MAIL)
    args = parser.parse_args()
    raw = args.mail.read_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body(("html",))
    if body is None:
        raise SystemExit(f"{args.mail} has no HTML part")
    html = body.get_content()
    started = time.perf_counter()
    database()
    load_ms = (time.perf_counter() - started) * 1000
    check_ms = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        result = check_html(html)
        check_ms.append((time.perf_counter() - started) * 1000)
    store = MemoryStore()
    env = Envelope("weekly@shop.example", ("reader@example.org",))
    ids = [store.add(raw, env).id for _ in range(args.rounds)]
    http_ms = []
    with served(create_app(store)) as url, httpx.Client(base_url=url, timeout=60) as client:
        for id in ids:
            started = time.perf_counter()
            client.get(f"/api/v1/message/{id}/html-check").raise_for_status()
            http_ms.append((time.perf_counter() - started) * 1000)
    print(
        f"HTML check of {args.mail.name}: {len(html):,} characters of HTML, "
        f"{result.nodes:,} elements, {len(result.warnings)} features found, {args.rounds} rounds"
    )
    print(f"  caniemail data loaded once in {load_ms:.0f} ms")
    report("check_html in-process", check_ms)
    report("GET …/html-check over HTTP", http_ms)


if __name__ == "__main__":
    main()
