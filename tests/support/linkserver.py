"""A local website for the link check to request: real HTTP on a loopback address, on threads.

Paths: `/ok` 200, `/missing` 404, `/broken` 500, `/no-head` 405 to HEAD and 200 to GET,
`/chain/N` a 302 to `/chain/N-1` down to `/chain/0` (200), `/to?url=U` a 302 to `U`,
`/to-long?n=N` a 302 to `/ok?` and N letters, `/slow`
answers only after `SLOW` seconds (or when the server stops), and `/count` 200. Every request
is recorded in `requests` as (method, path, Host header).
"""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from background import RecordingHTTPServer, ServedHTTP

__all__ = ["SLOW", "LinkSite"]

SLOW = 5.0  # seconds: far beyond the timeouts the tests give the link check


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the stdlib's name)
        pass

    def do_HEAD(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def _answer(self) -> None:
        with self.server.lock:
            self.server.requests.append((self.command, self.path, self.headers.get("Host", "")))
        url = urlsplit(self.path)
        path = url.path
        if path == "/slow":
            self.server.stopping.wait(SLOW)
        if path.startswith("/chain/"):
            left = int(path.rsplit("/", 1)[1])
            if left > 0:
                return self._send(302, location=f"/chain/{left - 1}")
            return self._send(200)
        if path == "/to":
            return self._send(302, location=parse_qs(url.query)["url"][0])
        if path == "/to-long":
            return self._send(302, location="/ok?" + "a" * int(parse_qs(url.query)["n"][0]))
        if path == "/no-head":
            return self._send(405 if self.command == "HEAD" else 200)
        status = {"/ok": 200, "/count": 200, "/slow": 200, "/missing": 404, "/broken": 500}
        return self._send(status.get(path, 404))

    def _send(self, status: int, *, location: str = "") -> None:
        body = b"page\n"
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)


class _Server(RecordingHTTPServer):
    block_on_close = False
    request_queue_size = 128  # the default 5 drops concurrent connects: a 1 s SYN retry each

    def __init__(self, host: str) -> None:
        super().__init__(host, _Handler)
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, str]] = []
        self.stopping = threading.Event()


class LinkSite(ServedHTTP[_Server]):
    """`with LinkSite() as site:` serves the paths above at `site.url(path)` until the end;
    over HTTPS with `tls`, a server context."""

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        server = _Server(host)
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        super().__init__(server)
        self.scheme = "https" if tls else "http"
        self.host = host
        self.port: int = self._server.server_address[1]

    def url(self, path: str, host: str | None = None) -> str:
        """`path` on this site, by address (or by `host`, a name that leads here)."""
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    @property
    def requests(self) -> list[tuple[str, str, str]]:
        with self._server.lock:
            return list(self._server.requests)

    def _stopping(self) -> None:
        self._server.stopping.set()  # a /slow request still waiting answers now
