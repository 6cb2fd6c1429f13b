#!/usr/bin/env python3
"""How fast the inbox's message page opens for a 2 MB single-line HTML mail, in Chromium.

    python benchmarks/message_page.py [--rounds 15] [--chromium /usr/bin/chromium]

Stores `--rounds` copies of tests/data/broken-2mb-single-line-html.eml in a fresh SQLite
store, serves it with uvicorn on a free loopback port, and opens each copy once in Chromium
(driven by Playwright), so every open is a first one: the message is parsed and its HTML
rewritten for that request, as when a user opens new mail. Reports the page's size, and the
median and worst of: the page's HTML over HTTP alone, the page ready to use
(DOMContentLoaded), and the page with its mail preview drawn (the load event, which waits for
the frame). Beside them, the floor: the mail's HTML part, unchanged, in a frame of an otherwise
empty page served by the standard library, so that what is Chromium's own time to lay the mail
out and what is mailtrap's shows side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import functools
import http.server
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from inthread import served
from playwright.sync_api import sync_playwright

from mailtrap import Envelope, SQLiteStore
from mailtrap.web import create_app

NAVIGATION = "() => performance.getEntriesByType('navigation')[0].toJSON()"
MAIL = Path(__file__).resolve().parents[1] / "tests" / "data" / "broken-2mb-single-line-html.eml"


def report(label: str, samples: list[float]) -> None:
    median, worst = statistics.median(samples), max(samples)
    print(f"  {label:<38} median {median:6.0f} ms   worst {worst:6.0f} ms")


@contextlib.contextmanager
def floor_page(raw: bytes) -> Iterator[str]:
    """A stdlib server whose `/frame.html` shows `raw`'s HTML part, as it is, in a frame."""
    folder = Path(tempfile.mkdtemp(prefix="mailtrap-floor-"))
    part = email.message_from_bytes(raw).get_payload(decode=True)
    assert isinstance(part, bytes)
    (folder / "mail.html").write_bytes(part)
    (folder / "frame.html").write_text('<!doctype html><iframe src="mail.html"></iframe>')

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet: the figures are the output
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/frame.html"
        finally:
            server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--chromium", default=os.environ.get("MAILTRAP_CHROMIUM", "/usr/bin/chromium")
    )
    args = parser.parse_args()
    raw = MAIL.read_bytes()
    store = SQLiteStore(Path(tempfile.mkdtemp(prefix="mailtrap-page-")) / "mail.db")
    env = Envelope("reports@example.com", ("qa@example.org",))
    # Two copies per round: one read over HTTP alone, one opened in the browser; each cold.
    ids = [store.add(raw, env).id for _ in range(2 * args.rounds)]
    with served(create_app(store)) as url, floor_page(raw) as floor:
        http_ms, ready_ms, drawn_ms, floor_ms, sizes = [], [], [], [], []
        with httpx.Client(base_url=url, timeout=60) as client, sync_playwright() as p:
            for id in ids[: args.rounds]:
                started = time.perf_counter()
                response = client.get(f"/view/{id}", headers={"Accept-Encoding": "identity"})
                http_ms.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                sizes.append(len(response.content))
            browser = p.chromium.launch(executable_path=args.chromium, args=["--disable-gpu"])
            page = browser.new_page()
            page.goto(url + "/")  # the browser's own start-up is not the page's cost
            for id in ids[args.rounds :]:
                page.goto(f"{url}/view/{id}", wait_until="load")
                timing: dict[str, Any] = page.evaluate(NAVIGATION)
                ready_ms.append(timing["domContentLoadedEventEnd"])
                drawn_ms.append(timing["loadEventEnd"])
            # Apart, not in turn: leaving the floor's 2 MB document slowed the next page.
            for n in range(args.rounds):
                page.goto(f"{floor}?{n}", wait_until="load")  # a new URL: no cached page
                floor_ms.append(page.evaluate(NAVIGATION)["loadEventEnd"])
            browser.close()
        size = f"{len(raw) / 1e6:.1f} MB"
        print(f"message page of a {size} single-line HTML mail, {args.rounds} rounds,")
        print(f"each a message opened for the first time; the page's HTML is {max(sizes):,} bytes")
        report("page HTML over HTTP", http_ms)
        report("in Chromium: ready (DOMContentLoaded)", ready_ms)
        report("in Chromium: preview drawn (load)", drawn_ms)
        report("floor: the HTML alone in a frame (load)", floor_ms)
    store.close()


if __name__ == "__main__":
    main()
