"""A webhook receiver on a free loopback port: records each POST, answers after `delay`."""

from __future__ import annotations

import http.server
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from background import RecordingHTTPServer, ServedHTTP

__all__ = ["HookSink", "Received"]


@dataclass(frozen=True)
class Received:
    """One POST as it arrived: when (`time.monotonic()`), its path, headers and JSON body."""

    at: float
    path: str
    headers: dict[str, str]
    body: Any


class HookSink(ServedHTTP[RecordingHTTPServer]):
    """`with HookSink() as sink:` receives at `sink.url` until the block ends. Each POST is
    answered `status` after `delay` seconds (on a thread of its own, so slow answers overlap).
    """

    def __init__(self, *, status: int = 204, delay: float = 0.0) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                with sink._lock:
                    sink.received.append(
                        Received(time.monotonic(), self.path, dict(self.headers), body)
                    )
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:  # quiet: the test reads `received`
                pass

        super().__init__(RecordingHTTPServer("127.0.0.1", Handler))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float) -> list[Received]:
        """What has arrived once `count` POSTs have, or when `timeout` seconds have passed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    break
            time.sleep(0.02)
        with self._lock:
            return list(self.received)
