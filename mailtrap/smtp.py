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
from email.utils import format_datetime, localtime
from typing import Any

from aiosmtpd.smtp import SMTP, Session
from aiosmtpd.smtp import Envelope as SMTPEnvelope

from mailtrap import __version__
from mailtrap.models import Envelope
from mailtrap.storage.base import MessageStore

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_MAX_RECIPIENTS",
    "UNLIMITED_LINE_LENGTH",
    "DeliveryHandler",
    "SMTPProtocol",
]

log = logging.getLogger("mailtrap.smtp")

DEFAULT_MAX_MESSAGE_SIZE = 25 * 1024 * 1024  # what large providers accept; 0 means no limit
DEFAULT_MAX_RECIPIENTS = 1000  # RFC 5321 demands at least 100; a sink should not refuse mail
DEFAULT_IDLE_TIMEOUT = 300.0  # RFC 5321 4.5.3.2.7: at least five minutes
UNLIMITED_LINE_LENGTH = 64 * 1024 * 1024


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
    ) -> None:
        self.store = store
        self.hostname = hostname
        self.max_recipients = max_recipients
        self._on_error = on_error or (lambda exc: None)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: SMTPEnvelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.max_recipients and len(envelope.rcpt_tos) >= self.max_recipients:
            return f"452 4.5.3 Too many recipients (this server accepts {self.max_recipients})"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SMTPEnvelope) -> str:
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
            summary = await asyncio.wrap_future(self.store.submit(raw, meta))
        except Exception as exc:
            log.exception("could not store a message from %s", meta.peer)
            self._on_error(exc)
            # 451: the client keeps the message and retries; nothing is lost.
            return f"451 4.3.0 mailtrap could not store the message ({exc.__class__.__name__})"
        return f"250 2.0.0 OK: queued as {summary.id}"

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
        peer = _peer(session.peer).rsplit(":", 1)[0]
        recipient = f"\r\n\tfor <{envelope.rcpt_tos[0]}>" if len(envelope.rcpt_tos) == 1 else ""
        line = (
            f"Received: from {session.host_name or 'unknown'} ([{peer}])\r\n"
            f"\tby {self.hostname} (mailtrap {__version__}) with {protocol}{recipient};\r\n"
            f"\t{format_datetime(localtime())}\r\n"
        )
        return line.encode("utf-8", "surrogateescape")


def _peer(peer: Any) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer or "")


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
        await super().push(status)

    def _timeout_cb(self) -> None:
        # aiosmtpd just drops an idle connection; RFC 5321 4.5.3.2 wants a 421 reply first.
        transport = self.transport
        if isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
            transport.write(b"421 4.4.2 Idle timeout, closing connection\r\n")
        super()._timeout_cb()  # type: ignore[no-untyped-call]
