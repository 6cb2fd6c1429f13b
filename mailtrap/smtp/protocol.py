"""aiosmtpd's SMTP protocol, with mailtrap's limits, shortcuts and a cheap copy per connection.

Every connection gets a protocol object. aiosmtpd's constructor introspects its own class and
the handler each time (`inspect.getmembers`, `inspect.signature`): for a client that sends one
message per connection, as Django does, that was a third of the server's CPU. The result only
depends on the class and the arguments, so `ProtocolFactory` builds one template and copies it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import ssl
import time
import types
from typing import Any

from aiosmtpd.smtp import MISSING, AuthResult, TLSSetupException, syntax

from mailtrap.message.values import ATEXT
from mailtrap.smtp.auth import CramMD5
from mailtrap.smtp.data import TooMuchData, read_data, unstuff
from mailtrap.smtp.handler import DeliveryHandler, peer_host
from mailtrap.smtp.idle import IdleTimeoutSMTP
from mailtrap.smtp.lines import COMMAND_LINE_LIMIT, LineReader, LineTooLong

__all__ = ["UNLIMITED_LINE_LENGTH", "ProtocolFactory", "SMTPProtocol", "client_ended_tls"]

log = logging.getLogger("mailtrap.smtp.protocol")

UNLIMITED_LINE_LENGTH = 64 * 1024 * 1024

_PLAIN_PATH = re.compile(
    rf"\s*<({ATEXT}+(?:\.{ATEXT}+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>\s*(.*)\Z", re.DOTALL
)


class _CommandLimits(dict[str, int]):
    """aiosmtpd's per-command line limits, all `COMMAND_LINE_LIMIT`: the `LineReader` bounds
    every line before aiosmtpd sees it, and aiosmtpd's own 512 would refuse long AUTH lines.
    Writes are ignored: aiosmtpd adds 36 to MAIL's limit on every EHLO, in one dict shared by
    every connection, so it would only grow."""

    def __missing__(self, command: str) -> int:
        return COMMAND_LINE_LIMIT

    def __setitem__(self, command: str, limit: int) -> None:
        pass


class SMTPProtocol(IdleTimeoutSMTP):
    """aiosmtpd's protocol with a per-instance DATA line limit, command lines bounded by a
    `LineReader`, and a polite idle timeout (`IdleTimeoutSMTP`)."""

    command_size_limit = COMMAND_LINE_LIMIT
    command_size_limits = _CommandLimits()
    _mechanism = ""  # the AUTH mechanism last asked for (see smtp_AUTH)
    _held = ""  # the lines so far of a multi-line reply (see push)

    def __init__(self, handler: DeliveryHandler, *, line_length_limit: int, **kwargs: Any):
        # Real HTML mail has lines far beyond RFC 5321's 1000 octets; refusing it would hide
        # what apps send. This is the limit inside DATA only (see `LineReader`).
        self.line_length_limit = line_length_limit
        super().__init__(handler, **kwargs)
        self.new_streams(self.loop)

    def new_streams(self, loop: asyncio.AbstractEventLoop) -> None:
        """Give this protocol fresh stream state around a `LineReader` of its own."""
        self._lines = LineReader(data_limit=self.line_length_limit, loop=loop)
        self._lost = False
        # Re-running the stream protocol's constructor sets all of asyncio's per-connection
        # state (reader, "closed" future, flow control); aiosmtpd's built a plain reader.
        asyncio.StreamReaderProtocol.__init__(
            self, self._lines, client_connected_cb=self._cb_client_connected, loop=loop
        )

    async def push(self, status: Any) -> None:
        # Our line limit equals the size limit, so a line aiosmtpd finds too long is a message
        # that is too big: say so with the code clients know how to report (RFC 5321 552).
        if (
            isinstance(status, str)
            and status.startswith("500 Line too long")
            and self.data_size_limit
            and self.line_length_limit >= self.data_size_limit
        ):
            status = "552 Error: Too much mail data"
        if isinstance(status, str):
            self._count(status)
            if status[3:4] == "-":
                # A line of a multi-line reply (EHLO's six) is held until the last one, so
                # the reply leaves in one write: one system call and one TCP segment, not six.
                # RFC 5321 4.2.1: every line before the last has "-" after its code, and
                # aiosmtpd pushes them all before it reads the client's next command.
                self._held += status + "\r\n"
                return
            if self._held:
                status, self._held = self._held + status, ""
        await super().push(status)

    def _count(self, status: str) -> None:
        # Outcomes aiosmtpd decides itself, read off its replies: the size refusals (its own
        # and ours all begin "552 Error"; a chaos rule's 552 is counted where it is made) and
        # the answers to AUTH. One slice and a few comparisons per reply.
        code = status[:3]
        if code == "552" and status.startswith("552 Error"):
            self.event_handler.refused("size", "552")
        elif code in ("235", "535"):
            self.event_handler.stats.auth_outcome(self._mechanism, code == "235")

    @syntax("AUTH <mechanism>")
    async def smtp_AUTH(self, arg: str) -> None:
        # Remembered for `_count`, which sees the reply but not the command it answers.
        self._mechanism = arg.split(maxsplit=1)[0].upper() if arg.strip() else ""
        await super().smtp_AUTH(arg)

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        # aiosmtpd builds a typing.Protocol class and runs the full RFC 5322 address parser on
        # every MAIL and RCPT: a third of the CPU per message. A plain <local@domain> path is
        # read here; anything else (quotes, routes, UTF-8, <>) still goes to aiosmtpd.
        m = _PLAIN_PATH.match(arg)
        if m is None:
            return super()._getaddr(arg)
        address, rest = m.group(1), m.group(2)
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, rest

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        with self._lines.data_section():  # DATA lines may be as long as line_length_limit
            await self._data(arg)

    async def _data(self, arg: str) -> None:
        # aiosmtpd's own DATA awaits once per line; _data reads the section in a few large
        # reads. It applies when the message size is the only limit; a separate, shorter
        # line limit is aiosmtpd's to enforce, line by line.
        size_limit = self.data_size_limit
        if self._decode_data or (size_limit and self.line_length_limit < size_limit):
            await super().smtp_DATA(arg)
            return
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            return await self.push("503 Error: need RCPT command")
        if arg:
            return await self.push("501 Syntax: DATA")
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            content = unstuff(await read_data(self._reader, size_limit))
        except TooMuchData:
            self._set_post_data_state()  # type: ignore[no-untyped-call]
            return await self.push("552 Error: Too much mail data")
        except asyncio.IncompleteReadError:
            return  # the client hung up mid-message; there is nobody to answer
        except asyncio.CancelledError:
            self._writer.close()  # the connection was lost during DATA, as aiosmtpd does
            raise
        self.envelope.content = self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        await self.push("250 OK" if status is MISSING else status)

    async def handle_exception(self, error: Exception) -> str:
        # aiosmtpd answers whatever a command (or its reading) raised through here; an
        # overlong line is the client's mistake, not a server fault for the handler to record.
        if isinstance(error, LineTooLong):
            return str(error)
        if isinstance(error, TLSSetupException):
            self.event_handler.stats.tls_outcome("starttls", ok=False)
        if client_ended_tls(error):
            # aiosmtpd closes the connection after a failed STARTTLS; the reply is unused.
            log.info(
                "%r ended the TLS handshake: %r",
                self.session and self.session.peer,
                error.__cause__,
            )
            return "454 4.7.0 TLS not available"
        status: str = await super().handle_exception(error)
        return status

    async def _handle_client(self) -> None:
        # aiosmtpd has no connect hook; the connection limit and fault-injection rules for
        # "connect" answer instead of the 220 greeting and hang up.
        refusal = self.event_handler.admit(peer_host(self.session.peer) if self.session else "")
        if refusal is None:
            await super()._handle_client()
            return
        await self.push(refusal)
        if self.transport is not None:
            self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        starttls = self._original_transport is not None  # the re-entry after STARTTLS
        if starttls:
            self.event_handler.stats.tls_outcome("starttls", ok=True)
        else:
            self.event_handler.opened()
        super().connection_made(transport)
        # On an implicit-TLS listener aiosmtpd does not record the session as encrypted
        # (it only knows STARTTLS), which would also hide it from the Received field.
        if self.session is not None and self.session.ssl is None:
            ssl_object = transport.get_extra_info("ssl_object")
            if ssl_object is not None:
                self.session.ssl = {"ssl_object": ssl_object, "cipher": ssl_object.cipher()}
                # A failed SMTPS handshake never gets this far: asyncio drops it unseen.
                self.event_handler.stats.tls_outcome("smtps", ok=True)

    async def auth_CRAM__MD5(self, _server: Any, _args: list[str]) -> AuthResult:
        """RFC 2195 CRAM-MD5 (aiosmtpd names `auth_CRAM__MD5` as "CRAM-MD5")."""
        challenge = f"<{secrets.token_hex(8)}.{int(time.time())}@{self.hostname}>".encode()
        answer = await self.challenge_auth(challenge)
        if not isinstance(answer, bytes):
            return AuthResult(success=False, handled=True)  # aborted; aiosmtpd replied
        login, _, digest = answer.rpartition(b" ")
        data = CramMD5(login, challenge, digest.decode("ascii", "replace"))
        return self._authenticate("CRAM-MD5", data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self.event_handler.closed()  # once per connection, STARTTLS or not
        super().connection_lost(exc)

    @property
    def settled(self) -> bool:
        """Whether everything the client sent has been dealt with: the connection waits for
        more, or is gone (its task is cancelled then, and can record nothing more)."""
        return self._lost or self._lines.idle


def client_ended_tls(error: BaseException) -> bool:
    """Whether `error` is a STARTTLS handshake the client broke off: it refused the server's
    certificate (an alert, as `ssl.create_default_context()` sends for an unknown CA), spoke
    no TLS, or hung up. That is the client's outcome to report, not a server failure."""
    cause = error.__cause__
    return isinstance(error, TLSSetupException) and isinstance(
        cause, (ssl.SSLError, ConnectionError, EOFError)
    )


class ProtocolFactory:
    """Makes `SMTPProtocol(handler, **options)` for each connection, without paying for
    aiosmtpd's introspection each time.

    The first call builds a template with aiosmtpd's own constructor, never used as a
    connection itself; every call copies its attributes, re-binds the methods it bound to
    itself, and gives the copy fresh stream state.
    Options are compared on every call, so a changed server setting builds a new template.
    """

    def __init__(self, handler: DeliveryHandler) -> None:
        self.handler = handler
        self._template: SMTPProtocol | None = None
        self._options: dict[str, Any] = {}
        # Which of the template's attributes each copy shares, and which it rebuilds. Sorting
        # them once matters: walking all forty with `_rebind` took 100 us per connection.
        self._shared: dict[str, Any] = {}
        self._rebuilt: list[tuple[str, Any]] = []

    def __call__(self, **options: Any) -> SMTPProtocol:
        template = self._template
        if template is None or options != self._options:
            template = self._template = SMTPProtocol(self.handler, **options)
            self._options = options
            self._sort(template)
        fresh: SMTPProtocol = object.__new__(SMTPProtocol)
        state = fresh.__dict__
        state.update(self._shared)
        for name, value in self._rebuilt:
            state[name] = _rebind(value, template, fresh)
        # asyncio's per-connection state (reader, writer, "closed" future, flow control) must
        # be fresh.
        fresh.new_streams(options["loop"])
        return fresh

    def _sort(self, template: SMTPProtocol) -> None:
        # An attribute `_rebind` gives back unchanged for a stand-in is one it never changes.
        stand_in = object()
        self._shared, self._rebuilt = {}, []
        for name, value in vars(template).items():
            if _rebind(value, template, stand_in) is value:
                self._shared[name] = value
            else:
                self._rebuilt.append((name, value))


def _rebind(value: Any, old: object, new: object) -> Any:
    """`value` with every method bound to `old` bound to `new` instead, looking inside the
    dicts and named tuples aiosmtpd keeps its method tables in."""
    if isinstance(value, types.MethodType):
        return types.MethodType(value.__func__, new) if value.__self__ is old else value
    if isinstance(value, dict):
        return {key: _rebind(item, old, new) for key, item in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_rebind(item, old, new) for item in value))
    if isinstance(value, (list, set)):  # per-connection state must not be shared: copy it
        return type(value)(_rebind(item, old, new) for item in value)
    return value
