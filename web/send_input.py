"""Checks on a POST /api/v1/send body before the email library sees any of it.

The library is not a validator. It writes whatever header name it is given, so a name with CR
LF in it injects fields (a second From:); it raises ValueError (a 500) on a line break in a
value and UnicodeEncodeError on a lone surrogate, which JSON can carry; and it folds long
non-ASCII header text at tens of microseconds a character, adding fields and parts in time
quadratic in their number. Every check here answers 400 naming the field, before any work.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi import HTTPException

from mailtrap.message.headers import lone_surrogate
from mailtrap.web.inputs import SendAddressIn, SendIn

__all__ = ["MAX_ATTACHMENTS", "MAX_HEADERS", "MAX_HEADER_TEXT", "MAX_RECIPIENTS", "check"]

# All the text that becomes header fields, in characters: 16k of emoji take the library about
# a second to fold on a small machine; real subjects and recipient lists need a fraction.
MAX_HEADER_TEXT = 16 * 1024
# Adding a field or a part costs time proportional to those already there: 1000 take a
# fraction of a second, 10,000 take several.
MAX_HEADERS = 1000
# Half the MIME parts the parser shows (mailtrap.message.mime.MAX_PARTS is 1000), so every part a
# /send body carries, and the containers around them, is shown.
MAX_ATTACHMENTS = 500
# Each address is parsed by the library (~50 us); Bcc is not in the header text, so without a
# count a 50 MB body of Bcc addresses would take minutes. SMTP servers must take 100 (RFC 5321).
MAX_RECIPIENTS = 1000

# RFC 5322 field-name: printable US-ASCII (33-126) except the colon.
_FIELD_NAME = re.compile(r"[!-9;-~]+")
# NUL, and every character str.splitlines() breaks at: the library refuses each of those
# in a header value, and a CR or LF that got through would start a new field.
_NOT_IN_HEADER = re.compile("[\x00\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_NAMES = {"\x00": "NUL", "\n": "LF", "\r": "CR"}


def _show(value: str) -> str:
    """`value` quoted for an error message, shortened: the value may be megabytes."""
    return repr(value) if len(value) <= 60 else repr(value[:60]) + "..."


def _check_unicode(field: str, value: str) -> None:
    if (where := lone_surrogate(value)) is not None:
        raise HTTPException(
            400, f"{field}: {_show(value)} has {where}, which is not text; send valid UTF-8"
        )


def _check_header_text(field: str, value: str) -> None:
    m = _NOT_IN_HEADER.search(value)
    if m is not None:
        what = _NAMES.get(m.group(), "a line break")
        raise HTTPException(
            400,
            f"{field}: {_show(value)} contains {what} (U+{ord(m.group()):04X}) at position "
            f"{m.start()}; text that goes into a header must be one line, without NUL",
        )
    _check_unicode(field, value)


def _addresses(field: str, items: list[SendAddressIn]) -> Iterator[tuple[str, str]]:
    for index, a in enumerate(items):
        yield f"{field}[{index}].Email", a.Email
        yield f"{field}[{index}].Name", a.Name


def _header_text(body: SendIn) -> Iterator[tuple[str, str]]:
    """(field, value) for every string that ends up in a header field of the message."""
    yield "Subject", body.Subject
    yield "From.Email", body.From.Email
    yield "From.Name", body.From.Name
    yield from _addresses("To", body.To)
    yield from _addresses("Cc", body.Cc)
    yield from _addresses("ReplyTo", body.ReplyTo)
    for name, value in body.Headers.items():
        yield f"Headers[{name!r}]", value
    for index, tag in enumerate(body.Tags):
        yield f"Tags[{index}]", tag
    for index, item in enumerate(body.Attachments):
        yield f"Attachments[{index}].Filename", item.Filename
        yield f"Attachments[{index}].ContentType", item.ContentType
        yield f"Attachments[{index}].ContentID", item.ContentID


def check(body: SendIn) -> None:
    """Raise HTTPException(400) naming the first field of `body` the message cannot carry."""
    if len(body.Headers) > MAX_HEADERS:
        raise HTTPException(
            400, f"Headers: {len(body.Headers)} fields; /send takes at most {MAX_HEADERS}"
        )
    recipients = len(body.To) + len(body.Cc) + len(body.Bcc)
    if recipients > MAX_RECIPIENTS:
        raise HTTPException(
            400,
            f"To, Cc and Bcc: {recipients} recipients; /send takes at most {MAX_RECIPIENTS}",
        )
    if len(body.Attachments) > MAX_ATTACHMENTS:
        raise HTTPException(
            400,
            f"Attachments: {len(body.Attachments)} parts; /send takes at most {MAX_ATTACHMENTS}",
        )
    for name in body.Headers:
        if not _FIELD_NAME.fullmatch(name):
            raise HTTPException(
                400,
                f"Headers: {_show(name)} is not a header name; use printable ASCII "
                "without spaces or colons, such as X-Campaign",
            )
    total = sum(map(len, body.Headers))
    for field, value in _header_text(body):
        _check_header_text(field, value)
        total += len(value)
    if total > MAX_HEADER_TEXT:
        raise HTTPException(
            400,
            f"the header fields (Subject, addresses, Headers, Tags, attachment names) add "
            f"up to {total} characters; /send takes at most {MAX_HEADER_TEXT}; put long "
            "text in Text or HTML",
        )
    # Only the envelope carries Bcc, and the bodies may hold line breaks: they need only be
    # text that can be stored.
    for index, bcc in enumerate(body.Bcc):
        _check_header_text(f"Bcc[{index}]", bcc)
    _check_unicode("Text", body.Text)
    _check_unicode("HTML", body.HTML)
