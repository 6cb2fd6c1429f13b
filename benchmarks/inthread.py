"""The web app served by uvicorn on a thread, on a free loopback port: what the page
benchmarks time over HTTP, without a subprocess's start-up in the figures."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from mailtrap.web.serve import bind_http


@contextlib.contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """`app` served until the block ends; yields its base URL."""
    sock = bind_http("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
