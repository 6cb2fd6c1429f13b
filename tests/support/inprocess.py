"""The real web app served in-process: httpx's ASGITransport on an event loop of its own.

Most web tests ask questions of the app (status, headers, bodies) that do not depend on a
socket, and booting uvicorn for each of them cost a fifth of the suite's time. `InProcess`
runs the app's lifespan (the event hub starts on the loop, as under uvicorn) and gives a
synchronous `httpx.Client` whose requests travel the full ASGI stack, middleware included.
Tests of what only a server does (WebSockets, gzip on the wire, the body limit as uvicorn
enforces it, other programs as clients) keep `liveserver.LiveServer`.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import httpx
from background import Background
from fastapi import FastAPI

from mailtrap.loopthread import LoopThread

__all__ = ["InProcess"]

# Under uvicorn a test reaches the app at 127.0.0.1: the same name passes the Host check, and
# the made-up port only ever appears in URLs the app echoes.
URL = "http://127.0.0.1:8025"
STARTUP_SECONDS = 30


class InProcess(Background):
    """`with InProcess(app) as app_:` runs `app` on a background event loop until the block
    ends; `app_.client()` makes clients for it and `app_.url` is the origin they use."""

    url = URL

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._runner: LoopThread | None = None
        self._shutdown = asyncio.Event()
        self._stopped: asyncio.Future[dict[str, Any]] = self._loop.create_future()
        self._lifespan: asyncio.Future[None] | None = None

    def _start(self) -> None:
        self._runner = LoopThread.run(
            self._loop, self._startup(), name="inprocess-app", timeout=None
        )

    def _stop(self) -> None:
        assert self._runner is not None
        self._runner.stop(self._shutdown_app(), STARTUP_SECONDS)

    def client(self, **kwargs: Any) -> httpx.Client:
        """A client whose requests go to the app, never to a socket."""
        return httpx.Client(transport=_Transport(self), base_url=self.url, **kwargs)

    def _call(self, coroutine: Any) -> Any:
        assert self._runner is not None, "use InProcess in a with block"
        return self._runner.call(coroutine, None)

    async def _startup(self) -> None:
        """The ASGI lifespan protocol, as a server speaks it: startup now, shutdown later."""
        started: asyncio.Future[dict[str, Any]] = self._loop.create_future()
        stopped = self._stopped
        messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

        async def receive() -> dict[str, Any]:
            if started.done():
                await self._shutdown.wait()
            return next(messages)

        async def send(message: MutableMapping[str, Any]) -> None:
            kind = message["type"]
            (started if kind.startswith("lifespan.startup") else stopped).set_result(dict(message))

        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self._lifespan = asyncio.ensure_future(self.app(scope, receive, send))
        answer = await asyncio.wait_for(started, STARTUP_SECONDS)
        if answer["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"the app's startup failed: {answer.get('message')}")

    async def _shutdown_app(self) -> None:
        assert self._lifespan is not None
        self._shutdown.set()
        answer = await asyncio.wait_for(self._stopped, STARTUP_SECONDS)
        await self._lifespan
        if answer["type"] != "lifespan.shutdown.complete":
            raise RuntimeError(f"the app's shutdown failed: {answer.get('message')}")


class _Transport(httpx.BaseTransport):
    """A synchronous transport that hands each request to ASGITransport on the app's loop."""

    def __init__(self, served: InProcess) -> None:
        self._served = served
        # As uvicorn does, an exception in the app becomes a 500 response, not a raise here.
        self._asgi = httpx.ASGITransport(app=served.app, raise_app_exceptions=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        return self._served._call(self._send(request, body))  # type: ignore[no-any-return]

    async def _send(self, request: httpx.Request, body: bytes) -> httpx.Response:
        sent = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=body,
            extensions=request.extensions,
        )
        response = await self._asgi.handle_async_request(sent)
        # The raw (still encoded) bytes: the client decodes gzip as it would off the wire.
        raw = b"".join([part async for part in response.aiter_raw()])
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            extensions=response.extensions,
        )
