"""A webhook receiver for benchmarks/ingest.py's `mailtrap-hooks` target: answers every POST
204 on 127.0.0.1:PORT (keep-alive, as a real hook would), and on SIGTERM prints how many
it received.

    python benchmarks/webhook_sink.py PORT
"""

from __future__ import annotations

import http.server
import signal
import sys
import threading
from typing import Any


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with Sink.lock:
            Sink.received += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:  # quiet: a line per request would be the load
        pass


def main() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink)
    server.daemon_threads = True

    def stop(*_: object) -> None:
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()
    print(Sink.received, flush=True)


if __name__ == "__main__":
    main()
