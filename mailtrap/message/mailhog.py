"""A stored message in MailHog's JSON shape (`data.Message` of github.com/mailhog/data).

MailHog's clients (npm `mailhog`, `cypress-mailhog`, PyPI `mailhog`) read bodies and headers
straight out of this shape and decode them themselves, so it is built the way MailHog builds
it, from the raw bytes, with no decoding:

- `Content.Headers`: each field as written (name spelling kept, folded lines joined with
  their leading whitespace, encoded words left encoded); `Content.Body`: the bytes after the
  first blank line, still in their transfer encoding; `Size`: the byte length.
- `MIME.Parts` (only when the Content-Type is multipart/*): the body split at every
  `--boundary`, each non-empty piece stripped of CR and LF at both ends and parsed the same
  way, recursively. As in MailHog, a non-empty preamble and the `--` after the closing
  boundary are parts too (with no headers), so `Parts[i]` indexes what MailHog clients saw.
- `Return-Path: <envelope sender>` is added to the headers, as MailHog does.
- The line end that closes the message's last line is left out of `Body`, `Size` and
  `Raw.Data`, since MailHog's SMTP server never kept it (the download has every byte).

Where MailHog was lossy, mailtrap keeps more and says so (README, "Coming from MailHog"): a
repeated field keeps every value in order (MailHog kept the last), a message with bare-LF line
ends still splits into headers and body (MailHog needed CRLF), a message with no blank line
is all headers when it starts with one, and `Name:value` with no space is a field. Bytes that
are not UTF-8 become U+FFFD, as Go's JSON encoder makes them. Nesting deeper than `MAX_DEPTH`
multiparts is left unsplit, so a hostile mail costs bounded work.
"""

from __future__ import annotations

import email.message
from datetime import UTC, datetime
from typing import Any

from mailtrap.message.models import Envelope

__all__ = ["MAX_DEPTH", "mailhog_created", "mailhog_message", "mailhog_path"]

MAX_DEPTH = 50

_JSON = dict[str, Any]


def mailhog_message(id: str, created: datetime, envelope: Envelope, raw: bytes) -> _JSON:
    """Message `id` (received at `created`, over `envelope`, as `raw`) as MailHog's JSON:
    `{ID, From, To, Content, Created, MIME, Raw}` in that order."""
    data = _without_final_line_end(raw)
    headers, body = _split(data, top=True)
    values = _headers(headers)
    _add(values, "Return-Path", f"<{envelope.mail_from}>")
    content = {"Headers": _sorted(values), "Body": _text(body), "Size": len(data), "MIME": None}
    return {
        "ID": id,
        "From": mailhog_path(envelope.mail_from),
        "To": [mailhog_path(r) for r in envelope.rcpt_tos] or None,
        "Content": content,
        "Created": mailhog_created(created),
        "MIME": _mime(values, body, 1),
        "Raw": {
            "From": envelope.mail_from,
            "To": list(envelope.rcpt_tos) or None,
            "Data": _text(data),
            "Helo": envelope.helo,
        },
    }


def mailhog_path(path: str) -> _JSON:
    """An SMTP path as MailHog's `{Relays, Mailbox, Domain, Params}`: a source route
    (`@a,@b:user@example.com`) gives the relays; `Params` is always "", as in MailHog."""
    relays: list[str] | None = None
    address = path
    if path.startswith("@") and ":" in path:  # not a bare ":" (an IPv6 literal has them)
        route, address = path.split(":", 1)
        relays = route.split(",")
    mailbox, _, domain = address.partition("@")
    return {"Relays": relays, "Mailbox": mailbox, "Domain": domain, "Params": ""}


def mailhog_created(created: datetime) -> str:
    """`created` as Go marshals a `time.Time` (RFC 3339, fraction without trailing zeros)."""
    utc = created.astimezone(UTC) if created.tzinfo else created.replace(tzinfo=UTC)
    fraction = f"{utc.microsecond:06d}".rstrip("0")
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def _without_final_line_end(raw: bytes) -> bytes:
    """`raw` without the line end that closes its last line. MailHog's SMTP server ended the
    data at the CRLF before the final dot, so its `Body`, `Size` and `Raw.Data` never held it,
    and suites compare bodies with that in mind."""
    if raw.endswith(b"\r\n"):
        return raw[:-2]
    return raw.removesuffix(b"\n")


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _split(data: bytes, *, top: bool = False) -> tuple[bytes, bytes]:
    """(header block, body) at the first blank line, CRLF or bare LF. With no blank line, a
    message (`top`) that starts with a field is all headers; a part is all body."""
    ends = [(i, n) for i, n in ((data.find(b"\r\n\r\n"), 4), (data.find(b"\n\n"), 2)) if i >= 0]
    if ends:
        at, width = min(ends)
        return data[:at], data[at + width :]
    if not top:
        return b"", data
    first = data.split(b"\n", 1)[0]
    name = first.split(b":", 1)[0]
    if b":" in first and name and not name[:1].isspace():
        return data, b""  # headers and no body
    return b"", data


def _headers(block: bytes) -> dict[str, list[str]]:
    """Each field -> its values, names as written, folded lines joined (whitespace kept);
    a line that is no field and no continuation is skipped, as in MailHog."""
    values: dict[str, list[str]] = {}
    last: str | None = None
    for ended in block.split(b"\n"):
        line = ended.removesuffix(b"\r")
        if last is not None and line[:1] in (b" ", b"\t"):
            values[last][-1] += _text(line)
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip() or b" " in name:
            last = None
            continue
        last = _text(name)
        values.setdefault(last, []).append(_text(value.removeprefix(b" ")))
    return values


def _add(values: dict[str, list[str]], name: str, value: str) -> None:
    for key, found in values.items():
        if key.lower() == name.lower():
            found.append(value)
            return
    values[name] = [value]


def _sorted(values: dict[str, list[str]]) -> dict[str, list[str]]:
    return dict(sorted(values.items()))  # as Go marshals a map


def _get(values: dict[str, list[str]], name: str) -> str:
    for key, found in values.items():
        if key.lower() == name.lower() and found:
            return found[0]
    return ""


def _boundary(values: dict[str, list[str]]) -> bytes | None:
    """The boundary of a multipart Content-Type; None when the part is no multipart. b"" when
    it is one without a usable boundary (MailHog then has `Parts: null`)."""
    content_type = _get(values, "Content-Type")
    if not content_type.lower().startswith("multipart/"):
        return None
    header = email.message.Message()
    header["Content-Type"] = content_type
    boundary = header.get_boundary()
    return boundary.encode("utf-8", "replace") if boundary else b""


def _mime(values: dict[str, list[str]], body: bytes, depth: int) -> _JSON | None:
    boundary = _boundary(values)
    if boundary is None or depth > MAX_DEPTH:
        return None
    parts = []
    for piece in body.split(b"--" + boundary) if boundary else ():
        if piece:
            parts.append(_part(piece.strip(b"\r\n"), depth))
    return {"Parts": parts or None}


def _part(data: bytes, depth: int) -> _JSON:
    headers, body = _split(data)
    values = _headers(headers)
    return {
        "Headers": _sorted(values),
        "Body": _text(body),
        "Size": len(data),
        "MIME": _mime(values, body, depth + 1),
    }
