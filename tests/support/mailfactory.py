"""Building test mail: shared by the suite through `pythonpath = ["tests/support"]`."""

from __future__ import annotations

import hashlib
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from mailtrap import Envelope, MessageStore, MessageSummary

__all__ = ["build_mail", "deliver", "envelope_for"]


def build_mail(
    subject: str = "Hello",
    sender: str = "Alice Example <alice@example.com>",
    to: str = "bob@example.com",
    text: str | None = "Plain body",
    html: str | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
    headers: dict[str, str] | None = None,
) -> bytes:
    """An RFC 5322 message as CRLF bytes; attachments are (filename, mime type, data)."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = to
    msg["Message-ID"] = f"<{_letters(subject, sender, to, text)}@test.example>"
    for name, value in (headers or {}).items():
        msg[name] = value
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for filename, mime, data in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=policy.SMTPUTF8)


def envelope_for(raw: bytes, *extra_rcpts: str, mail_from: str = "alice@example.com") -> Envelope:
    """An envelope whose recipients are the To addresses of `raw` plus `extra_rcpts`."""
    msg = message_from_bytes(raw, policy=policy.default)
    to = [a.addr_spec for a in msg["To"].addresses] if msg["To"] else []
    return Envelope(mail_from, (*to, *extra_rcpts), peer="127.0.0.1:50000", helo="client")


def deliver(store: MessageStore, *extra_rcpts: str, **mail: Any) -> MessageSummary:
    """Build a message with `build_mail(**mail)` and add it to `store`."""
    raw = build_mail(**mail)
    return store.add(raw, envelope_for(raw, *extra_rcpts))


def _letters(*parts: str | None) -> str:
    """A Message-ID local part from `parts`: the same in every run (not `hash()`, which
    PYTHONHASHSEED changes), and letters only, so that a search for digits ("2345") never
    matches it by chance, as it did about once in a hundred runs."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:24]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)
