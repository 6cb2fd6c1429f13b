"""`SMTPServer`: the lifecycle around the SMTP sink, usable with or without pytest.

aiosmtpd's threaded `Controller` cannot bind port 0 (it probes the configured port first), so
the server is created directly with `loop.create_server` and the bound port read back from the
socket. Each connection's protocol is built by `mailtrap.smtp.connection`; `start()` runs the
server on a `mailtrap.loopthread.LoopThread`.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import weakref
from types import TracebackType

from mailtrap.errors import MailtrapError
from mailtrap.loops import new_loop, parse_loop
from mailtrap.loopthread import LoopThread
from mailtrap.smtp.auth import Authenticator
from mailtrap.smtp.binding import PortInUse, bind_error
from mailtrap.smtp.chaos import Chaos
from mailtrap.smtp.connection import new_protocol
from mailtrap.smtp.handler import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_MAX_RECIPIENTS,
    DeliveryHandler,
)
from mailtrap.smtp.protocol import ProtocolFactory, SMTPProtocol
from mailtrap.storage.base import MessageStore

__all__ = ["PortInUse", "SMTPServer"]  # PortInUse: what start() raises for a taken port

_START_TIMEOUT = 30.0
_SETTLE_TIMEOUT = 5.0  # far beyond a store's commit; a client that stalls mid-command is idle


class SMTPServer:
    """An SMTP server that stores every message it receives in `store`.

    `max_message_size` (bytes, 0 = unlimited) is advertised in EHLO and enforced with 552;
    `max_recipients` (0 = unlimited) answers 452 beyond the limit; an idle connection gets 421
    after `idle_timeout` seconds; `max_connections` (default 200, 0 = unlimited) answers 421
    to connections beyond it; `max_line_length` (0 = no limit but the message size) answers
    500 to a longer line of message text, as RFC 5321 4.5.3.1.6 says (command and AUTH lines
    are always held to `mailtrap.smtp.lines.COMMAND_LINE_LIMIT`, 12288 octets). `hostname` appears
    in the banner and `Received` field; it is fixed here because aiosmtpd would otherwise
    resolve the FQDN on every connection.

    TLS (with `tls_context`, see `mailtrap.smtp.tls`): `starttls` offers STARTTLS,
    `require_starttls` refuses mail until it is used, and `implicit_tls` makes this listener
    SMTPS (TLS from the first byte). AUTH (with `auth`, a `mailtrap.Authenticator`):
    PLAIN, LOGIN and CRAM-MD5, required before MAIL when the authenticator has a user list;
    never over plain text unless `auth_allow_insecure` (RFC 4954). `chaos` (a
    `mailtrap.Chaos`, also reachable as `server.chaos`) injects refusals on purpose. `loop`
    (one of `mailtrap.loops.LOOPS`, default "auto": uvloop when installed) is the event loop
    `start()` runs the server on; `start_async()` runs on the caller's loop, whatever it is.
    """

    def __init__(
        self,
        store: MessageStore,
        *,
        host: str = "127.0.0.1",
        port: int = 1025,
        hostname: str = "localhost",
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_recipients: int = DEFAULT_MAX_RECIPIENTS,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_line_length: int = 0,
        tls_context: ssl.SSLContext | None = None,
        starttls: bool = False,
        require_starttls: bool = False,
        implicit_tls: bool = False,
        auth: Authenticator | None = None,
        auth_allow_insecure: bool = False,
        chaos: Chaos | None = None,
        loop: str = "auto",
    ) -> None:
        parse_loop(loop)
        for name, value in (
            ("max_message_size", max_message_size),
            ("max_recipients", max_recipients),
            ("port", port),
            ("max_connections", max_connections),
            ("max_line_length", max_line_length),
        ):
            if value < 0:
                raise ValueError(f"{name} must be 0 or more, got {value}")
        if idle_timeout <= 0:
            raise ValueError(f"idle_timeout must be more than 0 seconds, got {idle_timeout}")
        if (starttls or require_starttls or implicit_tls) and tls_context is None:
            raise ValueError(
                "STARTTLS and implicit TLS need a tls_context; build one with "
                "mailtrap.server_context(mailtrap.self_signed(directory))"
            )
        if implicit_tls and (starttls or require_starttls):
            raise ValueError("an implicit-TLS listener is encrypted already; drop starttls")
        self.tls_context = tls_context
        self.starttls = starttls or require_starttls
        self.require_starttls = require_starttls
        self.implicit_tls = implicit_tls
        self.auth = auth
        self.auth_allow_insecure = auth_allow_insecure
        self.store = store
        self.hostname = hostname
        self.max_message_size = max_message_size
        self.idle_timeout = idle_timeout
        self.errors: list[BaseException] = []
        self.handler = DeliveryHandler(
            store,
            hostname=hostname,
            max_recipients=max_recipients,
            on_error=self.errors.append,
            chaos=chaos,
            max_connections=max_connections,
        )
        self.max_line_length = max_line_length
        self.chaos = self.handler.chaos
        self._protocols = ProtocolFactory(self.handler)
        self._want = (host, port)
        self._bound: tuple[str, int] | None = None
        self._server: asyncio.Server | None = None
        self._connections: weakref.WeakSet[SMTPProtocol] = weakref.WeakSet()
        self._runner: LoopThread | None = None  # while start() has it on a thread of its own
        self.loop = loop

    def __repr__(self) -> str:
        where = f"{self.host}:{self.port}" if self._bound else "not started"
        return f"<SMTPServer {where} store={self.store!r}>"

    @property
    def host(self) -> str:
        """The address the server listens on (after start)."""
        return self._require_bound()[0]

    @property
    def port(self) -> int:
        """The port the server listens on (after start; the real one when 0 was asked for)."""
        return self._require_bound()[1]

    def _require_bound(self) -> tuple[str, int]:
        if self._bound is None:
            raise MailtrapError("the SMTP server is not running; call start() first")
        return self._bound

    def settle(self, timeout: float = _SETTLE_TIMEOUT) -> bool:
        """Wait until the server has dealt with everything its clients sent so far: each
        open connection waits for more, or is closed. Then `errors` holds every failure that
        what they sent caused (the pytest plugin charges them to the test that just ended).
        Returns False if `timeout` seconds passed first, and at once for a server not
        started with `start()`."""
        runner = self._runner
        if runner is None:
            return True
        return runner.call(self._settle(timeout), timeout + _START_TIMEOUT)

    async def _settle(self, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # Two passes of the loop: in the first the selector finds what clients have sent
        # (this task ran ahead of those callbacks), in the second it has been fed.
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        while not all(connection.settled for connection in list(self._connections)):
            if loop.time() >= deadline:
                return False
            # Rare (a store still writing, a handshake under way) and bounded: a poll keeps
            # every connection's read path free of a notification it would almost never need.
            await asyncio.sleep(0.001)
        return True

    def check(self) -> None:
        """Raise the first error the server hit while handling mail, if any."""
        if self.errors:
            raise MailtrapError(
                f"the SMTP server failed {len(self.errors)} time(s); first: {self.errors[0]!r}"
            ) from self.errors[0]

    # -- on a running loop ---------------------------------------------------------------

    def _protocol(self) -> SMTPProtocol:
        try:
            protocol = new_protocol(self._protocols, self)
        except Exception as exc:  # asyncio would only log it; the caller must see it
            self.errors.append(exc)
            raise
        self._connections.add(protocol)
        return protocol

    async def start_async(self) -> None:
        """Start listening on the running event loop."""
        if self._server is not None:
            raise MailtrapError(f"{self!r} is already running")
        host, port = self._want
        loop = asyncio.get_running_loop()
        try:
            # One socket: with port 0 and a name that resolves to several addresses, each
            # socket would get a different port.
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            family, _, _, _, sockaddr = infos[0]
            server = await loop.create_server(
                self._protocol,
                host=str(sockaddr[0]),
                port=port,
                family=family,
                reuse_address=True,
                ssl=self.tls_context if self.implicit_tls else None,
            )
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(host, port) from exc
            raise MailtrapError(bind_error(host, port, exc)) from exc
        self._server = server
        bound = server.sockets[0].getsockname()
        self._bound = (bound[0], bound[1])

    async def stop_async(self) -> None:
        """Stop listening and close open connections. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        # Python 3.12+ waits in wait_closed() for every open connection; close them first.
        for protocol in list(self._connections):
            if protocol.transport is not None:
                protocol.transport.close()
        await server.wait_closed()
        self._bound = None

    # -- on a thread of its own -----------------------------------------------------------

    def start(self) -> None:
        """Start on a background thread; returns once listening (or raises why not)."""
        if self._runner is not None:
            raise MailtrapError(f"{self!r} is already running")
        loop = new_loop(self.loop)  # raises LoopUnavailable before any thread starts
        self._runner = LoopThread.run(
            loop, self.start_async(), name="mailtrap-smtp", timeout=_START_TIMEOUT
        )

    def stop(self) -> None:
        """Stop the background server started by `start()`. Idempotent."""
        runner = self._runner
        if runner is None:
            return
        try:
            runner.stop(self.stop_async(), _START_TIMEOUT)
        finally:
            self._runner = None

    def __enter__(self) -> SMTPServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
