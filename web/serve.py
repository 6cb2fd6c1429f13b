"""Run the SMTP server and the web app together on one event loop (`mailtrap serve`).

Sharing the loop means an API reader sees a message the moment its 250 goes out. Both
listening sockets are bound before anything is announced, so a port clash is a clear error
and not a half-started server.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
import socket
from collections.abc import Callable, Iterator

import uvicorn

from mailtrap.errors import MailtrapError
from mailtrap.message.models import MessageSummary
from mailtrap.metrics import Metrics
from mailtrap.options import ServeOptions
from mailtrap.relay.auto import RelayStats
from mailtrap.smtp.server import SMTPServer
from mailtrap.storage.base import MessageStore
from mailtrap.web.app import create_app
from mailtrap.web.schemas import summary_out

__all__ = ["run"]

_READY_TIMEOUT = 30.0


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises a caught SIGTERM after shutdown, which would kill the process
        # before the store is closed. `run` installs its own handlers instead.
        yield


def bind_http(host: str, port: int) -> socket.socket:
    """A listening socket for the web app, or a MailtrapError saying why not and what to do."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, _, proto, _, sockaddr = infos[0]
        # The protocol number matters: asyncio sets TCP_NODELAY only on sockets whose proto is
        # IPPROTO_TCP, and accepted sockets inherit it. With proto 0, every keep-alive response
        # after the first waited ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(family, socket.SOCK_STREAM, proto or socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(sockaddr)
            sock.listen(1024)
        except BaseException:
            sock.close()
            raise
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            reason = "the port is in use; stop what uses it or pass e.g. --http 127.0.0.1:8026"
        else:
            reason = str(exc.strerror or exc)
        raise MailtrapError(f"cannot listen for HTTP on {host}:{port}: {reason}") from exc
    sock.setblocking(False)
    return sock


async def run(
    store: MessageStore,
    options: ServeOptions,
    *,
    announce: Callable[[list[SMTPServer], str], None],
    relay_stats: RelayStats | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM; `announce(listeners, url)` is called once all listen.
    `relay_stats` are the automatic relay's, for /metrics (None: none runs)."""
    listeners = [listener.server(store) for listener in options.listeners]
    smtp = listeners[0]  # the web app reports its statistics and edits its (shared) chaos
    stats = [listener.handler.stats for listener in listeners]
    metrics = Metrics(smtp=stats, relay=relay_stats)
    webhook = None
    if options.webhook is not None:
        from mailtrap.webhook import Webhook  # httpx loads only when there is a hook

        # The summary exactly as the API and the event socket give it (Mailpit's shape).
        webhook = Webhook(options.webhook, payload=_summary_json, metrics=metrics)
    started: list[SMTPServer] = []
    try:
        if webhook is not None:  # before the first listener, so no message goes unannounced
            await webhook.start(store)
        for listener in listeners:
            await listener.start_async()
            started.append(listener)
        sock = bind_http(*options.http)
        app = create_app(
            store,
            options.web,
            smtp_stats=smtp.handler.stats,
            chaos=smtp.chaos,
            app_metrics=metrics,
        )
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            server_header=False,
            lifespan="on",
            # Long-polls and event sockets would otherwise hold a shutdown open.
            timeout_graceful_shutdown=2,
            # X-Forwarded-* would change nothing: no response names the scheme, host or client
            # address (pages use paths, see mailtrap.web.webroot), and the Guard judges the Host
            # the proxy passes on. uvicorn would also take its trusted proxies from
            # FORWARDED_ALLOW_IPS, and mailtrap reads no variable but its own.
            proxy_headers=False,
        )
        server = _Server(config)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, setattr, server, "should_exit", True)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        await _until_started(server, serving)
        host, port = sock.getsockname()[:2]
        url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        url += options.web.webroot.rstrip("/")  # a base URL, as clients take it
        announce(listeners, url)
        await serving
    finally:
        for listener in started:
            await listener.stop_async()
        if webhook is not None:
            await webhook.stop()
    for listener in listeners:
        listener.check()


def _summary_json(summary: MessageSummary) -> bytes:
    return summary_out(summary).model_dump_json().encode()


async def _until_started(server: uvicorn.Server, serving: asyncio.Task[None]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _READY_TIMEOUT
    while not server.started:
        if serving.done():
            serving.result()  # re-raise why uvicorn stopped
            raise MailtrapError("the web server stopped during start-up; see the log above")
        if loop.time() > deadline:
            raise MailtrapError(f"the web server did not start within {_READY_TIMEOUT:.0f}s")
        await asyncio.sleep(0.005)
