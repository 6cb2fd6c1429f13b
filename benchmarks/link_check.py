#!/usr/bin/env python3
"""How long the link check of a 50-link mail takes, against a local site.

    python benchmarks/link_check.py [--links 50] [--delay 0.05] [--rounds 5]

Serves a small website on a loopback port (threads, one per request), each answer `--delay`
seconds late to stand in for a real site's latency: a third of the links answer 200, a third
404 (so HEAD is followed by a GET), a third redirect once. Stores one mail whose HTML links to
each of `--links` distinct URLs there, serves the app (uvicorn, in a thread, with
--allow-internal-http-requests), and times `GET /api/v1/message/{ID}/link-check` with and
without `follow=true`, `--rounds` times each: median and worst, and the requests the site saw.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from inthread import served

from mailtrap import Envelope, MemoryStore
from mailtrap.options import WebOptions
from mailtrap.web import create_app


def site(delay: float) -> tuple[ThreadingHTTPServer, list[int]]:
    """A site on a free loopback port whose every answer takes `delay` s; and a request count."""
    count = [0]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_HEAD(self) -> None:
            count[0] += 1  # one increment per request; the GIL makes it exact enough here
            time.sleep(delay)
            kind = self.path.split("/")[1]
            if kind == "moved":
                self.send_response(302)
                self.send_header("Location", "/ok" + self.path)
            else:
                self.send_response(404 if kind == "missing" else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_HEAD

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        # Not the default 5, which drops concurrent connects: each then waits 1 s to retry.
        request_queue_size = 128

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, count


def mail(base: str, links: int) -> bytes:
    kinds = ("ok", "missing", "moved")
    anchors = "\n".join(
        f'<p><a href="{base}/{kinds[n % 3]}/{n}">link {n}</a></p>' for n in range(links)
    )
    return (
        "From: shop@example.com\r\nTo: qa@example.org\r\nSubject: Newsletter\r\n"
        f"Content-Type: text/html; charset=utf-8\r\n\r\n<html><body>{anchors}</body></html>\r\n"
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds per site answer")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server, count = site(args.delay)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    store = MemoryStore()
    id = store.add(mail(base, args.links), Envelope("shop@example.com", ("qa@example.org",))).id
    app = create_app(store, WebOptions(allow_internal_http_requests=True))
    print(f"link check of a {args.links}-link mail, site answers after {args.delay * 1000:.0f} ms")
    with served(app) as url, httpx.Client(base_url=url, timeout=120) as client:
        for follow in ("false", "true"):
            times, requests = [], 0
            for _ in range(args.rounds):
                before = count[0]
                started = time.perf_counter()
                answer = client.get(f"/api/v1/message/{id}/link-check", params={"follow": follow})
                times.append((time.perf_counter() - started) * 1000)
                answer.raise_for_status()
                body = answer.json()
                assert len(body["Links"]) == args.links, body
                requests = count[0] - before
            print(
                f"  follow={follow:<5}  median {statistics.median(times):6.0f} ms   "
                f"worst {max(times):6.0f} ms   {requests} requests, {body['Errors']} errors"
            )
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
