"""The SMTP sink's decisions: accept every message and hand it to a store. Relays nothing.

`DeliveryHandler` is aiosmtpd's handler. It answers each command's hook (a chaos fault rule or
a limit may refuse first), prepends the `Received:` trace field (its tokens made safe by
`mailtrap.smtp.trace`) and waits for the store without blocking the loop. It also counts what
`SMTPStats` reports, and admits or refuses each connection for `SMTPProtocol`.

An exception is never lost: it is answered with a 4xx reply, logged, and passed to `on_error`
(`SMTPServer` keeps it in `errors`, and `check()` raises it in the caller). The defaults below
are the server's and the CLI's. Lifecycle: `mailtrap.smtp.server`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Future
from email.utils import format_datetime, localtime
from typing import Any

from aiosmtpd.smtp import MISSING, SMTP, Session
from aiosmtpd.smtp import Envelope as SMTPEnvelope

from mailtrap._bridge import Completions
from mailtrap._version import __version__
from mailtrap.errors import StoreUnavailable
from mailtrap.message.models import Envelope, MessageSummary
from mailtrap.smtp.chaos import Chaos, Stage
from mailtrap.smtp.stats import SMTPStats
from mailtrap.smtp.trace import peer_address, peer_host, session_login, trace_token
from mailtrap.storage.base import MessageStore

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_MAX_RECIPIENTS",
    "DeliveryHandler",
    "SMTPStats",
    "peer_host",  # re-exported: its home is mailtrap.smtp.trace
    "trace_token",  # likewise
]

log = logging.getLogger("mailtrap.smtp.handler")


DEFAULT_MAX_MESSAGE_SIZE = 25 * 1024 * 1024  # what large providers accept; 0 means no limit
DEFAULT_MAX_RECIPIENTS = 1000  # RFC 5321 demands at least 100; a sink should not refuse mail
DEFAULT_IDLE_TIMEOUT = 300.0  # RFC 5321 4.5.3.2.7: at least five minutes
# Twice the 100 parallel sessions of the README's load benchmark (Postfix's default process
# limit is 100), far above a test suite's few senders per worker, and well under the common
# 1024 open-file limit, so a flood of connections is answered 421 instead of starving the web
# side of descriptors. An idle connection costs ~10 KiB; one in DATA up to a few times the
# message size, which this bounds too. 0 means no limit.
DEFAULT_MAX_CONNECTIONS = 200


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
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self.store = store
        self.chaos = chaos or Chaos()
        self.max_connections = max_connections
        self.hostname = hostname
        self.max_recipients = max_recipients
        self._on_error = on_error or (lambda _exc: None)
        self._completions: Completions | None = None
        self.stats = SMTPStats()
        self._date = (0, "")

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: SMTPEnvelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname  # this hook's job, in aiosmtpd's "new" EHLO protocol
        # aiosmtpd advertises "AUTH" with no mechanisms when AUTH is off; say nothing instead.
        kept = [r for r in responses if r.rstrip() != "250-AUTH"]
        # aiosmtpd reads commands from a buffered stream and answers them in order, which is
        # all RFC 2920 asks; it just never says so. (ENHANCEDSTATUSCODES stays unadvertised:
        # many of aiosmtpd's own replies carry no enhanced code.)
        return [*kept[:-1], "250-PIPELINING", kept[-1]]

    async def handle_AUTH(
        self, server: SMTP, session: Session, envelope: SMTPEnvelope, args: list[str]
    ) -> Any:
        return self._refuse("auth") or MISSING  # MISSING: go on with the mechanism

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: SMTPEnvelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if refusal := self._refuse("mail", address):
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    def _refuse(
        self, stage: Stage, *addresses: str, recipients: tuple[str, ...] = ()
    ) -> str | None:
        refusal = self.chaos.check(stage, addresses, recipients)
        if refusal:
            self.refused("chaos", refusal[:3])
        return refusal

    # The protocol's side of the seam. aiosmtpd has no hooks for a connection's life, so
    # `SMTPProtocol` calls these; everything they count or decide stays in the handler.

    @property
    def active(self) -> int:
        """Connections open now: see opened() and closed()."""
        return self.stats.active

    @property
    def connections(self) -> int:
        """Connections made since the start."""
        return self.stats.connections

    def opened(self) -> None:
        """A connection was made (once per connection, not again after STARTTLS)."""
        self.stats.active += 1
        self.stats.connections += 1

    def closed(self) -> None:
        """A connection was lost; pairs with `opened`."""
        self.stats.active -= 1

    def admit(self, peer: str) -> str | None:
        """Whether a new connection from `peer` gets its greeting: None to go on, or the reply
        to send instead before hanging up (a "connect" fault rule, or the connection limit)."""
        if refusal := self._refuse("connect", peer):
            return refusal
        if self.max_connections and self.active > self.max_connections:
            self.refused("connections", "421")
            return f"421 4.7.0 Too many connections (limit {self.max_connections}), try later"
        return None

    def refused(self, reason: str, code: str) -> None:
        """Count a refused transaction (the protocol's own refusals, such as 552, included);
        see `SMTPStats.refused`."""
        self.stats.refused(reason, code)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: SMTPEnvelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if refusal := self._refuse("rcpt", address, recipients=(address,)):
            return refusal
        if self.max_recipients and len(envelope.rcpt_tos) >= self.max_recipients:
            self.refused("recipients", "452")
            return f"452 4.5.3 Too many recipients (this server accepts {self.max_recipients})"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SMTPEnvelope) -> str:
        recipients = tuple(envelope.rcpt_tos)
        if refusal := self._refuse(
            "data", envelope.mail_from or "", *recipients, recipients=recipients
        ):
            return refusal
        content = envelope.original_content or b""
        raw = self._received(session, envelope) + content
        meta = Envelope(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            peer=peer_address(session.peer),
            helo=session.host_name or "",
            tls=session.ssl is not None,
            login=session_login(session),
        )
        stored = self.store.submit(raw, meta)
        try:
            # The store parses on a thread of its own (MessageStore.submit's promise): this
            # loop serves every other connection, and under `mailtrap serve` the web API.
            summary = await self._settled(stored)
        except asyncio.CancelledError:
            # The client hung up before the reply. The store goes on; a failure of its must
            # still be recorded (on the store's thread: list.append is atomic).
            stored.add_done_callback(self._failed_unheard)
            raise
        except StoreUnavailable as exc:
            # The store's database is down or restarting: no fault of this server's, and it
            # recovers by itself. The client keeps the message and retries.
            log.warning("could not store a message from %s: %s", meta.peer, exc)
            self.refused("store", "451")
            return "451 4.3.0 mailtrap's database is unavailable; try again later"
        except Exception as exc:
            log.exception("could not store a message from %s", meta.peer)
            self.refused("store", "451")
            self._on_error(exc)
            # 451: the client keeps the message and retries; nothing is lost.
            return f"451 4.3.0 mailtrap could not store the message ({exc.__class__.__name__})"
        self.stats.accepted += 1
        self.stats.accepted_bytes += summary.size
        return f"250 2.0.0 OK: queued as {summary.id}"

    def _failed_unheard(self, stored: Future[MessageSummary]) -> None:
        exc = stored.exception()
        if exc is not None:
            log.error("could not store a message whose client had gone", exc_info=exc)
            self._on_error(exc)

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
        """The RFC 5321 trace field mailtrap prepends, as one folded CRLF-terminated line.

        What the client chose (the EHLO name, the recipient) goes through `trace_token`, so
        nothing it sends can end or fold this field, add one of its own, or move a clause.
        """
        protocol = "ESMTP" if session.extended_smtp else "SMTP"
        if session.ssl is not None:
            protocol += "S"
        if session.authenticated:
            protocol += "A"
        peer = peer_host(session.peer)
        recipient = ""
        if len(envelope.rcpt_tos) == 1:
            recipient = f"\r\n\tfor <{trace_token(envelope.rcpt_tos[0])}>"
        line = (
            f"Received: from {trace_token(session.host_name or 'unknown')} ([{peer}])\r\n"
            f"\tby {self.hostname} (mailtrap {__version__}) with {protocol}{recipient};\r\n"
            f"\t{self._now()}\r\n"
        )
        return line.encode("utf-8", "surrogateescape")
