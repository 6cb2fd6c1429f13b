"""A tiny HTTP server on loopback that answers every GET with one fixed body, and notes the
paths it was asked for: another site's page, or a tracker's pixel, in browser tests."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import Any

from background import RecordingHTTPServer, ServedHTTP

__all__ = ["OneResponse"]


class OneResponse(ServedHTTP[RecordingHTTPServer]):
    """`with OneResponse(body, content_type) as server:` serves `body` at `server.url`
    (`server.port`) until the block ends; `server.hits` lists the paths asked for."""

    def __init__(self, body: bytes, content_type: str) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (its name)
                pass

        super().__init__(RecordingHTTPServer("127.0.0.1", Handler))
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
