"""Raw bytes to model objects, leniently.

Mail catchers exist to show developers what their code really sent, so nothing here raises on
bad input: a header that will not parse falls back to its raw text, an unknown charset falls
back to UTF-8 with replacement characters, and each workaround is recorded as a defect string.
The raw bytes are never altered; callers keep them as the source of truth.

`summarize` is the ingest hot path: one parse, one walk, only what the store's summary columns
and search index need. `parse_message` is the full parse, done on demand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from mailtrap._mime import Part, walk_parts
from mailtrap.models import Address, Attachment, Envelope, Headers, Message, MessageSummary

__all__ = ["Digest", "parse_message", "summarize"]

SNIPPET_LENGTH = 250

_POLICY = policy.default
_WS = re.compile(r"\s+")
_PLUS_TAG = re.compile(r"^[^@+]+\+([^@]+)@")


@dataclass(frozen=True, slots=True)
class Digest:
    """What ingest extracts from one message: summary fields plus searchable body text."""

    message_id: str
    subject: str
    sender: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    return_path: str
    date: datetime | None
    attachment_count: int
    snippet: str
    tags: tuple[str, ...]
    username: str | None
    body_text: str

    def to_summary(
        self, *, id: str, created: datetime, size: int, read: bool = False
    ) -> MessageSummary:
        """The summary a store hands out for this digest once it has assigned an id."""
        return MessageSummary(
            id=id,
            created=created,
            size=size,
            read=read,
            **{name: getattr(self, name) for name in _SUMMARY_FIELDS},
        )


_SUMMARY_FIELDS = tuple(n for n in Digest.__dataclass_fields__ if n != "body_text")


def _parse(raw: bytes, defects: list[str]) -> EmailMessage:
    try:
        msg = BytesParser(policy=_POLICY).parsebytes(raw)
    except RecursionError:
        # Pathological nesting: keep the headers, treat the body as opaque text.
        defects.append("MIME nesting too deep to parse; body shown raw")
        msg = BytesParser(policy=_POLICY).parsebytes(raw, headersonly=True)
    assert isinstance(msg, EmailMessage)
    return msg


def _clean(text: str) -> str:
    """`text` with surrogate-escaped raw bytes decoded as UTF-8 (SMTPUTF8 headers)."""
    if text.isascii():
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate that never was a byte
        return text.encode("utf-8", "replace").decode("utf-8")


def _header(msg: EmailMessage, name: str, defects: list[str]) -> str:
    """The decoded value of the first `name` field, or "" when absent."""
    try:
        value = msg.get(name)
        return "" if value is None else _clean(str(value))
    except Exception as exc:  # the header parser has bugs on hostile input
        defects.append(f"{name} header could not be decoded ({exc.__class__.__name__})")
        for key, raw_value in msg.raw_items():
            if key.lower() == name.lower():
                return _unfold(raw_value)
        return ""


def _unfold(value: str) -> str:
    # Headers arrive as surrogate-escaped bytes; show 8-bit garbage as replacement characters.
    return _WS.sub(" ", _clean(value)).strip()


def _addresses(msg: EmailMessage, name: str, defects: list[str]) -> tuple[Address, ...]:
    """Every mailbox in every `name` field; groups are flattened."""
    result: list[Address] = []
    try:
        for header in msg.get_all(name) or ():
            result.extend(
                Address(_clean(a.display_name), _clean(a.addr_spec)) for a in header.addresses
            )
    except Exception as exc:  # fall back to the forgiving compat parser on the raw text
        defects.append(f"{name} header could not be parsed ({exc.__class__.__name__})")
        raw = [_unfold(v) for k, v in msg.raw_items() if k.lower() == name.lower()]
        return tuple(Address(n, a) for n, a in getaddresses(raw) if n or a)
    return tuple(result)


def _date(msg: EmailMessage, defects: list[str]) -> datetime | None:
    value = _header(msg, "Date", defects)
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        defects.append(f"Date header is not a valid date: {value[:80]!r}")
        return None
    if parsed.tzinfo is None:  # RFC 5322 "-0000": time zone unknown; UTC is the least wrong
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def _tags(msg: EmailMessage, recipients: list[str], defects: list[str]) -> tuple[str, ...]:
    """Tags from `X-Tags` (comma separated) and from plus-addresses such as `dev+signup@x`."""
    found: dict[str, None] = {}
    for part in _header(msg, "X-Tags", defects).split(","):
        if tag := part.strip():
            found.setdefault(tag, None)
    for address in recipients:
        if m := _PLUS_TAG.match(address):
            found.setdefault(m.group(1), None)
    return tuple(sorted(found, key=str.casefold))


def _snippet(text: str) -> str:
    return _WS.sub(" ", text[: SNIPPET_LENGTH * 4]).strip()[:SNIPPET_LENGTH]


def _common(msg: EmailMessage, envelope: Envelope, defects: list[str]) -> dict[str, object]:
    senders = _addresses(msg, "From", defects)
    to = _addresses(msg, "To", defects)
    cc = _addresses(msg, "Cc", defects)
    named = {a.address.lower() for a in (*to, *cc)}
    bcc = list(_addresses(msg, "Bcc", defects))
    named.update(a.address.lower() for a in bcc)
    bcc += [Address("", r) for r in envelope.rcpt_tos if r.lower() not in named]
    message_id = _header(msg, "Message-ID", defects).strip().strip("<>")
    return_path = envelope.mail_from or _header(msg, "Return-Path", defects).strip("<> ")
    return {
        "message_id": message_id,
        "subject": _header(msg, "Subject", defects),
        "sender": senders[0] if senders else None,
        "to": to,
        "cc": cc,
        "bcc": tuple(bcc),
        "reply_to": _addresses(msg, "Reply-To", defects),
        "return_path": return_path,
        "date": _date(msg, defects),
        "tags": _tags(msg, [*envelope.rcpt_tos, *(a.address for a in (*to, *cc))], defects),
        "username": envelope.login,
    }


def summarize(raw: bytes, envelope: Envelope) -> Digest:
    """Extract the summary fields and search text of `raw`. Never raises on malformed mail."""
    defects: list[str] = []
    msg = _parse(raw, defects)
    body = walk_parts(msg, defects, want_data=False)
    text = body.text or body.html_text()
    return Digest(
        **_common(msg, envelope, defects),  # type: ignore[arg-type]
        attachment_count=len(body.attachments),
        snippet=_snippet(text),
        body_text=text,
    )


def parse_message(raw: bytes, summary: MessageSummary, envelope: Envelope) -> Message:
    """The full parse of `raw`, completing a stored `summary`. Never raises on malformed mail.

    Summary fields come from `summary` (so `id`, `read` and `created` reflect the store); the
    headers, bodies, parts and defects come from the bytes.
    """
    defects: list[str] = []
    msg = _parse(raw, defects)
    headers = Headers([(k, _unfold(v)) for k, v in msg.raw_items()])
    decoded = Headers([(k, _decoded_header(msg, k, v, defects)) for k, v in headers])
    body = walk_parts(msg, defects, want_data=True)
    for defect in msg.defects:
        defects.append(f"message: {defect.__class__.__name__}")
    fields = {n: getattr(summary, n) for n in MessageSummary.__dataclass_fields__}
    return Message(
        **fields,
        envelope=envelope,
        raw=raw,
        headers=decoded,
        text=body.text,
        html=body.html,
        attachments=tuple(_attachment(p) for p in body.attachments),
        inline=tuple(_attachment(p) for p in body.inline),
        defects=tuple(dict.fromkeys(defects)),
    )


def _decoded_header(msg: EmailMessage, name: str, unfolded: str, defects: list[str]) -> str:
    # RFC 2047 decoding goes through the header registry, which can choke on hostile values.
    try:
        return _clean(str(_POLICY.header_factory(name, unfolded)))
    except Exception as exc:
        defects.append(f"{name} header could not be decoded ({exc.__class__.__name__})")
        return unfolded


def _attachment(part: Part) -> Attachment:
    return Attachment(
        part_id=part.part_id,
        filename=part.filename,
        content_type=part.content_type,
        content_id=part.content_id,
        size=part.size,
        inline=part.inline,
        _load=part.load,
    )
