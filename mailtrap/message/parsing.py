"""Raw bytes to model objects, leniently.

Mail catchers exist to show developers what their code really sent, so nothing here raises on
bad input: a header that will not parse falls back to its raw text, an unknown charset falls
back to UTF-8 with replacement characters, and each workaround is recorded as a defect string.
The raw bytes are never altered; callers keep them as the source of truth (a message's
`text` and `html` end every line with LF, whatever the wire said). Past the limits
(`_headers.MAX_FIELDS`/`MAX_HEAD_SIZE`, `_mime.MAX_PARTS`/`MAX_DEPTH`) parsing stops with a
defect, the same way in both paths, and the rest stays in the raw bytes.

`summarize` is the ingest hot path: one parse, one walk, only what the store's summary columns
and search index need. `parse_message` is the full parse, done on demand.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from mailtrap.message.headers import Fields, clean, split_head
from mailtrap.message.mime import Body, Part, decode_bytes, mime_policy, walk_parts
from mailtrap.message.models import (
    MESSAGE_FIELDS,
    Address,
    Attachment,
    Envelope,
    Headers,
    Message,
    MessageFields,
    MessageSummary,
)
from mailtrap.message.values import (
    MAX_ADDRESSES,
    Budget,
    address_value,
    date_value,
    display_value,
    text_value,
)

__all__ = ["Digest", "clean_tag", "normalize_tags", "parse_message", "summarize"]

SNIPPET_LENGTH = 250
# Tags per message, and characters per tag: a tag names a flow ("signup", "password-reset").
MAX_TAGS = 50
MAX_TAG_LENGTH = 100

_WS = re.compile(r"\s+")
_CTYPE = re.compile(r"\s*([\w.+-]+/[\w.+-]+)\s*(;.*)?$", re.DOTALL)
_CHARSET = re.compile(r'charset\s*=\s*"?([^";\s]+)', re.IGNORECASE)
# Mailpit's rule: everything between the first "+" and the "@" of the local part, split at
# every further "+" (`dev+a+b@x` carries the tags `a` and `b`).
_PLUS_TAG = re.compile(r"^[^@+]*\+([^@]+)@")
# What a tag may hold, as Mailpit's `tools.CleanTag`: ASCII letters and digits, "-", "_", ".",
# "@" and single spaces; any other run of characters becomes one space.
_TAG_INVALID = re.compile(r"[^a-zA-Z0-9\-_.@ ]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Digest(MessageFields):
    """What ingest extracts from one message: the summary fields plus what search needs
    beyond them: the body text, the attachments' file names, and how many parts are inline."""

    body_text: str
    attachment_names: tuple[str, ...] = ()
    inline_count: int = 0

    def to_summary(
        self, *, id: str, created: datetime, size: int, read: bool = False
    ) -> MessageSummary:
        """The summary a store hands out for this digest once it has assigned an id."""
        return MessageSummary(
            id=id,
            created=created,
            size=size,
            read=read,
            **{name: getattr(self, name) for name in MESSAGE_FIELDS},
        )


def _parse(raw: bytes, defects: list[str]) -> EmailMessage:
    policy = mime_policy(defects)
    try:
        msg = BytesParser(policy=policy).parsebytes(raw)
    except RecursionError:
        # Pathological nesting: keep the headers, treat the body as opaque text.
        defects.append("MIME nesting too deep to parse; body shown raw")
        msg = BytesParser(policy=policy).parsebytes(raw, headersonly=True)
    return msg  # type: ignore[return-value]  # compat32 gives a Message with the same API


def _unfold(value: str) -> str:
    # Headers arrive as surrogate-escaped bytes; show 8-bit garbage as replacement characters.
    return _WS.sub(" ", clean(value)).strip()


def clean_tag(tag: str) -> str:
    """`tag` as Mailpit cleans one: each character outside ASCII letters, digits, `-`, `_`,
    `.`, `@` and space becomes a space, runs of spaces become one, the ends are stripped, and
    the result is cut to `MAX_TAG_LENGTH` characters. "" means no tag is left."""
    cleaned = _SPACES.sub(" ", _TAG_INVALID.sub(" ", tag)).strip()
    return cleaned[:MAX_TAG_LENGTH].strip()


def normalize_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags as stored: each cleaned (`clean_tag`), empty ones dropped, one per spelling
    ignoring case (the first seen wins), the first `MAX_TAGS` of those, sorted ignoring case."""
    return _sorted(_distinct(tags, MAX_TAGS))


def _distinct(tags: Iterable[str], limit: int) -> list[str]:
    found: dict[str, str] = {}
    for tag in tags:
        if (tag := clean_tag(tag)) and tag.casefold() not in found:
            if len(found) == limit:
                break
            found[tag.casefold()] = tag
    return list(found.values())


def _sorted(tags: list[str]) -> tuple[str, ...]:
    return tuple(sorted(tags, key=str.casefold))


def _tags(
    fields: Fields, addresses: list[str], defects: list[str], budget: Budget
) -> tuple[str, ...]:
    """Tags from `X-Tags` (comma separated) and from plus-addresses such as `dev+signup@x`
    (in `addresses`: the recipients and the sender, as Mailpit takes them)."""
    plus = [t for a in addresses if (m := _PLUS_TAG.match(a)) for t in m.group(1).split("+")]
    headers = (
        t for v in fields.all("x-tags") for t in text_value("X-Tags", v, defects, budget).split(",")
    )
    tags = _distinct([*headers, *plus], MAX_TAGS + 1)
    if len(tags) > MAX_TAGS:  # a list of hundreds makes every page of summaries heavy
        defects.append(f"more than {MAX_TAGS} tags; only the first {MAX_TAGS} are kept")
    return _sorted(tags[:MAX_TAGS])


def _snippet(text: str) -> str:
    return " ".join(text[: SNIPPET_LENGTH * 4].split())[:SNIPPET_LENGTH]


def _addresses(
    fields: Fields, name: str, defects: list[str], budget: Budget
) -> tuple[Address, ...]:
    found: list[Address] = []
    for value in fields.all(name.lower()):
        found += address_value(name, value, defects, budget)
        if len(found) > MAX_ADDRESSES:  # over several fields of the same name
            defects.append(f"more than {MAX_ADDRESSES} addresses in {name}; the rest are not shown")
            del found[MAX_ADDRESSES:]
            break
    return tuple(found)


def _text(fields: Fields, name: str, defects: list[str], budget: Budget) -> str:
    value = fields.first(name.lower())
    return "" if value is None else text_value(name, value, defects, budget)


def _summary_fields(fields: Fields, envelope: Envelope, defects: list[str]) -> dict[str, Any]:
    budget = Budget()  # one per message: what its header fields may cost to decode
    senders = _addresses(fields, "From", defects, budget)
    to = _addresses(fields, "To", defects, budget)
    cc = _addresses(fields, "Cc", defects, budget)
    bcc = list(_addresses(fields, "Bcc", defects, budget))
    named = {a.address.lower() for a in (*to, *cc, *bcc)}
    bcc += [Address("", r) for r in envelope.rcpt_tos if r.lower() not in named]
    date = fields.first("date")
    return {
        "message_id": _text(fields, "Message-ID", defects, budget).strip().strip("<>"),
        "subject": _text(fields, "Subject", defects, budget),
        "sender": senders[0] if senders else None,
        "to": to,
        "cc": cc,
        "bcc": tuple(bcc),
        "reply_to": _addresses(fields, "Reply-To", defects, budget),
        "return_path": envelope.mail_from
        or _text(fields, "Return-Path", defects, budget).strip("<> "),
        "date": None if date is None else date_value(date, defects),
        "tags": _tags(
            fields,
            [*envelope.rcpt_tos, *(a.address for a in (*to, *cc, *senders[:1]))],
            defects,
            budget,
        ),
        "username": envelope.login,
    }


def _simple_body(fields: Fields, body: bytes, defects: list[str]) -> Body | None:
    """The body of a single text part, decoded without the MIME parser; None if not that."""
    ctype = _CTYPE.match(fields.first("content-type") or "text/plain")
    if ctype is None or fields.first("content-disposition") is not None:
        return None
    kind = ctype.group(1).lower()
    if kind not in ("text/plain", "text/html"):
        return None
    encoding = (fields.first("content-transfer-encoding") or "7bit").strip().lower()
    if encoding == "quoted-printable":
        body = binascii.a2b_qp(body)
    elif encoding == "base64":
        try:
            body = binascii.a2b_base64(body)
        except binascii.Error:
            return None  # let the parser apply its padding repairs
    elif encoding not in ("7bit", "8bit", "binary"):
        return None
    charset = _CHARSET.search(ctype.group(2) or "")
    text = decode_bytes(body, charset.group(1) if charset else None, defects)
    return Body(text=text) if kind == "text/plain" else Body(html=text)


def summarize(raw: bytes, envelope: Envelope) -> Digest:
    """Extract the summary fields and search text of `raw`. Never raises on malformed mail.

    This is the ingest hot path: headers go through `_headers`' shortcuts, a single text part
    is decoded directly, and only multipart mail is handed to the (compat32) MIME parser.
    """
    defects: list[str] = []
    head = split_head(raw)
    common = _summary_fields(head.fields, envelope, defects)
    body = _simple_body(head.fields, raw[head.body_at :], defects)
    if body is None:
        msg = _parse(head.parseable, defects)
        body = walk_parts(msg, defects, want_data=False)
    text = body.text or body.html_text()
    return Digest(
        **common,
        attachment_count=len(body.attachments),
        snippet=_snippet(text),
        body_text=text,
        attachment_names=tuple(p.filename for p in body.attachments if p.filename),
        inline_count=len(body.inline),
    )


def parse_message(raw: bytes, summary: MessageSummary, envelope: Envelope) -> Message:
    """The full parse of `raw`, completing a stored `summary`. Never raises on malformed mail.

    Summary fields come from `summary` (so `id`, `read` and `created` reflect the store); the
    headers, bodies, parts and defects come from the bytes.
    """
    head = split_head(raw)  # bounds the header block the MIME parser sees, as in `summarize`
    defects = [head.defect] if head.defect else []
    _summary_fields(head.fields, envelope, defects)  # for its defects; values are stored
    msg = _parse(head.parseable, defects)
    headers = Headers([(k, _unfold(v)) for k, v in msg.raw_items()])
    budget = Budget()
    decoded = Headers([(k, _decoded_header(k, v, defects, budget)) for k, v in headers])
    body = walk_parts(msg, defects, want_data=True)
    for defect in msg.defects:
        defects.append(f"message: {defect.__class__.__name__}")
    fields = {n: getattr(summary, n) for n in MessageSummary.__dataclass_fields__}
    return Message(
        **fields,
        envelope=envelope,
        raw=raw,
        headers=decoded,
        raw_headers=headers,
        text=newlines(body.text),
        html=newlines(body.html),
        attachments=tuple(_attachment(p) for p in body.attachments),
        inline=tuple(_attachment(p) for p in body.inline),
        defects=tuple(dict.fromkeys(defects)),
    )


def newlines(body: str) -> str:
    """`body` with every line ending LF: SMTP sends CRLF, and a test comparing `.text` with
    a Python string (or Django's `mailoutbox`) expects LF. A lone CR counts too, as
    `str.splitlines` and email clients read it. The raw bytes keep what was sent."""
    return body.replace("\r\n", "\n").replace("\r", "\n") if "\r" in body else body


def _decoded_header(name: str, unfolded: str, defects: list[str], budget: Budget) -> str:
    # Encoded words are what needs decoding; a plain ASCII value reads as written.
    if unfolded.isascii() and "=?" not in unfolded:
        return unfolded
    return display_value(name, unfolded, defects, budget)


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
