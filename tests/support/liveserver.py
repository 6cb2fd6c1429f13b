"""The real web app under uvicorn on a free loopback port, on a background thread."""

from __future__ import annotations

import threading
import time

import uvicorn
from background import Background
from fastapi import FastAPI

from mailtrap.web.serve import bind_http

__all__ = ["LiveServer"]


class LiveServer(Background):
    """`with LiveServer(app) as live:` serves `app` at `live.url` until the block ends."""

    def __init__(self, app: FastAPI) -> None:
        config = uvicorn.Config(
            app, log_level="warning", lifespan="on", access_log=False, timeout_graceful_shutdown=2
        )
        self._server = uvicorn.Server(config)
        self._sock = bind_http("127.0.0.1", 0)
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def _start(self) -> None:
        # uvicorn runs its own loop (`Server.run`, the loop its config picks), so this is no
        # LoopThread; what fails in that thread reaches pytest's thread-exception check, and a
        # failed startup is logged by uvicorn and raised here.
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start; see the log above")
            time.sleep(0.01)

    def _stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()
