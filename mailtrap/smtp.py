"""The SMTP sink: accept every message and hand it to a store. Relays nothing.

`SMTPServer` runs either on a loop you already have (`await start_async()`, as `mailtrap serve`
does beside uvicorn) or on a thread of its own (`start()` / `with SMTPServer(...)`, as tests and
scripts do). Either way `port=0` works, and `host`/`port` tell where it listened.

An exception inside the server is never lost: it is answered with a 4xx/5xx reply, logged, and
kept in `errors`; `check()` raises the first one in the caller, so a test cannot pass while the
server was failing.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from concurrent.futures import Future
from dataclasses import dataclass
from email.utils import format_datetime, localtime
from typing import Any

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Session, syntax
from aiosmtpd.smtp import Envelope as SMTPEnvelope

from mailtrap import __version__
from mailtrap._bridge import Completions
from mailtrap._data import TooMuchData, read_data, unstuff
from mailtrap.auth import CramMD5
from mailtrap.chaos import Chaos, Stage
from mailtrap.models import Envelope, MessageSummary
from mailtrap.storage.base import MessageStore

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_MAX_RECIPIENTS",
    "UNLIMITED_LINE_LENGTH",
    "DeliveryHandler",
    "SMTPProtocol",
    "SMTPStats",
]

log = logging.getLogger("mailtrap.smtp")

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_PLAIN_PATH = re.compile(
    rf"\s*<({_ATEXT}+(?:\.{_ATEXT}+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>\s*(.*)\Z", re.DOTALL
)

DEFAULT_MAX_MESSAGE_SIZE = 25 * 1024 * 1024  # what large providers accept; 0 means no limit
DEFAULT_MAX_RECIPIENTS = 1000  # RFC 5321 demands at least 100; a sink should not refuse mail
DEFAULT_IDLE_TIMEOUT = 300.0  # RFC 5321 4.5.3.2.7: at least five minutes
UNLIMITED_LINE_LENGTH = 64 * 1024 * 1024


@dataclass(slots=True)
class SMTPStats:
    """Counters since start: messages stored (and their bytes), and transactions refused."""

    accepted: int = 0
    accepted_bytes: int = 0
    rejected: int = 0


class DeliveryHandler:
    """The aiosmtpd handler: enforces the recipient limit and stores each message.

    aiosmtpd finds the hooks by name (`handle_RCPT`, `handle_DATA`, `handle_exception`), so this
    is a plain class. `on_error` receives every exception the server could not handle itself.
    """

    def __init__(
        self,
        store: MessageStore,
        *,
        hostname: str,
        max_recipients: int = DEFAULT_MAX_RECIPIENTS,
        on_error: Any = None,
        chaos: Chaos | None = None,
        max_connections: int = 0,
    ) -> None:
        self.store = store
        self.chaos = chaos or Chaos()
        self.max_connections = max_connections
        self.active = 0  # open connections, kept by SMTPProtocol
        self.hostname = hostname
        self.max_recipients = max_recipients
        self._on_error = on_error or (lambda exc: None)
        self._completions: Completions | None = None
        self.stats = SMTPStats()
        self._date = (0, "")

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: SMTPEnvelope, hostname: str,
        responses: list[str],
    ) -> list[str]:  # fmt: skip
        session.host_name = hostname  # this hook's job, in aiosmtpd's "new" EHLO protocol
        # aiosmtpd advertises "AUTH" with no mechanisms when AUTH is off; say nothing instead.
        kept = [r for r in responses if r.rstrip() != "250-AUTH"]
        # aiosmtpd reads commands from a buffered stream and answers them in order, which is
        # all RFC 2920 asks; it just never says so. (ENHANCEDSTATUSCODES stays unadvertised:
        # many of aiosmtpd's own replies carry no enhanced code.)
        return [*kept[:-1], "250-PIPELINING", kept[-1]]

    async def handle_AUTH(self, server: SMTP, session: Session, envelope: SMTPEnvelope,
                          args: list[str]) -> Any:  # fmt: skip
        return self._refuse("auth") or MISSING  # MISSING: go on with the mechanism

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: SMTPEnvelope, address: str,
        mail_options: list[str],
    ) -> str:  # fmt: skip
        if refusal := self._refuse("mail", address):
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    def _refuse(self, stage: Stage, *addresses: str) -> str | None:
        refusal = self.chaos.check(stage, addresses)
        if refusal:
            self.stats.rejected += 1
        return refusal

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: SMTPEnvelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if refusal := self._refuse("rcpt", address):
            return refusal
        if self.max_recipients and len(envelope.rcpt_tos) >= self.max_recipients:
            self.stats.rejected += 1
            return f"452 4.5.3 Too many recipients (this server accepts {self.max_recipients})"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SMTPEnvelope) -> str:
        if refusal := self._refuse("data", envelope.mail_from or "", *envelope.rcpt_tos):
            return refusal
        content = envelope.original_content or b""
        raw = self._received(session, envelope) + content
        meta = Envelope(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            peer=_peer(session.peer),
            helo=session.host_name or "",
            tls=session.ssl is not None,
            login=_login(session),
        )
        try:
            future = self.store.submit(raw, meta)
            summary = future.result() if future.done() else await self._settled(future)
        except Exception as exc:
            log.exception("could not store a message from %s", meta.peer)
            self.stats.rejected += 1
            self._on_error(exc)
            # 451: the client keeps the message and retries; nothing is lost.
            return f"451 4.3.0 mailtrap could not store the message ({exc.__class__.__name__})"
        self.stats.accepted += 1
        self.stats.accepted_bytes += summary.size
        return f"250 2.0.0 OK: queued as {summary.id}"

    def _now(self) -> str:
        # Formatting the date costs more than the rest of the trace field; once a second will do.
        second = int(time.time())
        if second != self._date[0]:
            self._date = (second, format_datetime(localtime()))
        return self._date[1]

    def _settled(self, future: Future[MessageSummary]) -> asyncio.Future[MessageSummary]:
        loop = asyncio.get_running_loop()
        if self._completions is None or self._completions.loop is not loop:
            self._completions = Completions(loop)
        return self._completions.wait(future)

    async def handle_exception(self, error: Exception) -> str:
        log.error("SMTP session failed", exc_info=error)
        self._on_error(error)
        return "421 4.3.0 mailtrap hit an internal error; closing connection"

    def _received(self, session: Session, envelope: SMTPEnvelope) -> bytes:
        """The RFC 5321 trace field mailtrap prepends, as one folded CRLF-terminated line."""
        protocol = "ESMTP" if session.extended_smtp else "SMTP"
        if session.ssl is not None:
            protocol += "S"
        if session.authenticated:
            protocol += "A"
        peer = _peer_host(session.peer)
        recipient = f"\r\n\tfor <{envelope.rcpt_tos[0]}>" if len(envelope.rcpt_tos) == 1 else ""
        line = (
            f"Received: from {session.host_name or 'unknown'} ([{peer}])\r\n"
            f"\tby {self.hostname} (mailtrap {__version__}) with {protocol}{recipient};\r\n"
            f"\t{self._now()}\r\n"
        )
        return line.encode("utf-8", "surrogateescape")


def _peer(peer: Any) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer or "")


def _peer_host(peer: Any) -> str:
    return _peer(peer).rsplit(":", 1)[0]


def _login(session: Session) -> str | None:
    if not session.authenticated:
        return None
    login = getattr(session.auth_data, "login", None)
    if isinstance(login, bytes):
        return login.decode("utf-8", "replace")
    return None if login is None else str(login)


class SMTPProtocol(SMTP):
    """aiosmtpd's protocol with a per-instance line limit and a polite idle timeout."""

    def __init__(self, handler: DeliveryHandler, *, line_length_limit: int, **kwargs: Any):
        # Set before super().__init__, which sizes the stream buffer from it. Real HTML mail
        # has lines far beyond RFC 5321's 1000 octets; refusing it would hide what apps send.
        self.line_length_limit = line_length_limit
        super().__init__(handler, **kwargs)

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
        if isinstance(status, str) and status.startswith("552"):
            self.event_handler.stats.rejected += 1
        await super().push(status)

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

    async def _handle_client(self) -> None:
        # aiosmtpd has no connect hook; the connection limit and fault-injection rules for
        # "connect" answer instead of the 220 greeting and hang up.
        handler = self.event_handler
        peer = _peer_host(self.session.peer) if self.session else ""
        refusal = handler._refuse("connect", peer)
        if refusal is None and handler.max_connections and handler.active > handler.max_connections:
            handler.stats.rejected += 1
            refusal = f"421 4.7.0 Too many connections (limit {handler.max_connections}), try later"
        if refusal is None:
            await super()._handle_client()
            return
        await self.push(refusal)
        if self.transport is not None:
            self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._original_transport is None:  # not the re-entry after STARTTLS
            self.event_handler.active += 1
        super().connection_made(transport)
        # On an implicit-TLS listener aiosmtpd does not record the session as encrypted
        # (it only knows STARTTLS), which would also hide it from the Received field.
        if self.session is not None and self.session.ssl is None:
            ssl_object = transport.get_extra_info("ssl_object")
            if ssl_object is not None:
                self.session.ssl = {"ssl_object": ssl_object, "cipher": ssl_object.cipher()}

    async def auth_CRAM__MD5(self, _: Any, args: list[str]) -> AuthResult:
        """RFC 2195 CRAM-MD5 (aiosmtpd names `auth_CRAM__MD5` as "CRAM-MD5")."""
        challenge = f"<{secrets.token_hex(8)}.{int(time.time())}@{self.hostname}>".encode()
        answer = await self.challenge_auth(challenge)
        if not isinstance(answer, bytes):
            return AuthResult(success=False, handled=True)  # aborted; aiosmtpd replied
        login, _, digest = answer.rpartition(b" ")
        data = CramMD5(login, challenge, digest.decode("ascii", "replace"))
        return self._authenticate("CRAM-MD5", data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.event_handler.active -= 1  # once per connection, STARTTLS or not
        super().connection_lost(exc)

    def _timeout_cb(self) -> None:
        # aiosmtpd just drops an idle connection; RFC 5321 4.5.3.2 wants a 421 reply first.
        transport = self.transport
        if isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
            transport.write(b"421 4.4.2 Idle timeout, closing connection\r\n")
        super()._timeout_cb()  # type: ignore[no-untyped-call]
