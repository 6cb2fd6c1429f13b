"""Walking a parsed MIME tree: find the bodies, list the other parts, decode text safely.

The walk is iterative with a depth limit, so a hostile 10,000-deep nest costs a loop, not the
interpreter's recursion limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.policy import Compat32, Policy, compat32
from functools import partial
from typing import Any

from mailtrap.message.headers import clean
from mailtrap.message.htmltext import html_to_text
from mailtrap.message.values import text_value

__all__ = ["Body", "Part", "decode_bytes", "decode_text", "mime_policy", "walk_parts"]

MAX_DEPTH = 100
MAX_PARTS = 1000  # a message with more is a bomb, not mail; the rest stays in the raw source
# The stdlib reads MIME parameters in time quadratic in a value's length (compat32's
# `_parseparam` counts quotes from the start of the value for every ";"), and nothing bounds a
# part's header. Real Content-* values, RFC 2231 file names included, stay far below these.
MAX_MIME_VALUE = 8 * 1024  # characters of one Content-* value
MIME_BUDGET = 64 * 1024  # of all of them in one message; past it, each keeps MIME_FLOOR
MIME_FLOOR = 256  # enough for a type, a boundary and a charset
_ASCII = frozenset({"us-ascii", "ascii", "ansi_x3.4-1968"})


class _Policy(Compat32):
    """compat32, which both parses use, made safe for hostile mail.

    Content-* values are cut as the parser reads them (see the limits above), each cut noted in
    `defects`; raw 8-bit values read back as UTF-8. `clone(defects=[], budget=[n])` makes the
    policy for one parse.
    """

    defects: list[str] | None = None
    budget: list[int] | None = None  # characters of Content-* values left for this message

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        if self.budget is not None and name.strip().lower().startswith("content-"):
            keep = max(MIME_FLOOR, min(MAX_MIME_VALUE, self.budget[0]))
            if len(value) > keep:
                if self.defects is not None:
                    self.defects.append(f"{name.strip()} header longer than {keep} characters; cut")
                value = value[:keep]
            self.budget[0] -= len(value)
        return name, value

    def header_fetch_parse(self, name: str, value: str) -> Any:  # noqa: ARG002 (Policy's)
        # compat32 hides raw 8-bit values behind an "unknown-8bit" Header, which reads back as
        # replacement characters; such bytes are UTF-8 (SMTPUTF8), so decode them as that.
        return clean(value) if isinstance(value, str) else value


_POLICY = _Policy()


def mime_policy(defects: list[str]) -> Policy:
    """The parser policy for one message; every cut it makes is added to `defects`."""
    return _POLICY.clone(defects=defects, budget=[MIME_BUDGET])  # type: ignore[call-arg]


@dataclass(frozen=True, slots=True)
class Part:
    """A non-body leaf part. `load` gives its decoded bytes; `size` is their length."""

    part_id: str
    filename: str
    content_type: str
    content_id: str
    size: int
    inline: bool
    load: Callable[[], bytes]


@dataclass(slots=True)
class Body:
    text: str = ""
    html: str = ""
    attachments: list[Part] = field(default_factory=list)
    inline: list[Part] = field(default_factory=list)

    def html_text(self) -> str:
        return html_to_text(self.html) if self.html else ""


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def decode_text(part: Message, defects: list[str]) -> str:
    """The part's text, decoded by its declared charset, falling back to UTF-8."""
    return decode_bytes(_payload(part), part.get_content_charset(), defects)


def decode_bytes(data: bytes, charset: str | None, defects: list[str]) -> str:
    """`data` decoded by `charset`, falling back to UTF-8 with replacement characters."""
    charset = (charset or "us-ascii").strip()
    if charset.lower() in _ASCII:
        # Undeclared 8-bit text is UTF-8 far more often than anything else.
        charset = "utf-8"
    try:
        return data.decode(charset, "replace")
    except LookupError:
        defects.append(f"unknown charset {charset[:40]!r}; decoded as UTF-8")
        return data.decode("utf-8", "replace")


def _param(getter: Callable[[], str | None], what: str, defects: list[str]) -> str:
    try:
        return getter() or ""
    except Exception as exc:
        defects.append(f"part {what} could not be parsed ({exc.__class__.__name__})")
        return ""


def walk_parts(msg: EmailMessage, defects: list[str], *, want_data: bool) -> Body:
    """Find the first text/plain and text/html bodies; classify every other leaf part.

        A leaf is inline when it has a Content-ID and is not marked as an attachment (it can be
        referenced as `cid:` from the HTML); any other non-body leaf is an attachment. Only
        multipart/* is descended into: an attached message/rfc822 or a bounce's
        message/delivery-status is one attachment. With `want_data` false, sizes are not computed
    and `load` decodes on each call; with it true, each part is decoded once, and kept.
    """
    body = Body()
    stack: list[tuple[Message, str, int]] = [(msg, "", 0)]
    seen = 0
    while stack:
        part, part_id, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            defects.append(f"more than {MAX_PARTS} MIME parts; the rest are not shown")
            break
        ctype = part.get_content_type()
        if part.get_content_maintype() == "multipart" and part.is_multipart():
            if depth >= MAX_DEPTH:
                defects.append(f"MIME parts nested deeper than {MAX_DEPTH} were not shown")
                continue
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            prefix = f"{part_id}." if part_id else ""
            for i in range(len(children), 0, -1):  # reversed, so the stack pops in order
                stack.append((children[i - 1], f"{prefix}{i}", depth + 1))
            continue
        disposition = _param(part.get_content_disposition, "disposition", defects)
        filename = _param(partial(_filename, part, defects), "filename", defects)
        if disposition != "attachment" and not filename:
            if ctype == "text/plain" and not body.text:
                body.text = decode_text(part, defects)
                continue
            if ctype == "text/html" and not body.html:
                body.html = decode_text(part, defects)
                continue
        content_id = _param(partial(_content_id, part), "Content-ID", defects)
        inline = bool(content_id) and disposition != "attachment"
        # With `want_data` the bytes are decoded once, here, for the size; `load` hands out
        # the same bytes (checksums, downloads) rather than decoding them again.
        data = _part_bytes(part) if want_data else None
        leaf = Part(
            part_id=part_id or "1",
            filename=filename,
            content_type=ctype,
            content_id=content_id.strip().strip("<>"),
            size=0 if data is None else len(data),
            inline=inline,
            load=partial(_part_bytes, part) if data is None else partial(_given, data),
        )
        (body.inline if inline else body.attachments).append(leaf)
    return body


def _given(data: bytes) -> bytes:
    return data


def _filename(part: Message, defects: list[str]) -> str:
    """The part's file name: RFC 2231 as the parser reads it, raw UTF-8 (SMTPUTF8) and the
    RFC 2047 encoded words many mailers put there although the RFC forbids it, decoded."""
    name = clean(part.get_filename() or "")
    return text_value("filename", name, defects) if "=?" in name else name


def _content_id(part: Message) -> str:
    return clean(str(part.get("Content-ID", "")))


def _part_bytes(part: Message) -> bytes:
    inner = part.get_payload()
    if isinstance(inner, list):
        # An attached message (or status blocks) is delivered whole, headers and all.
        return b"".join(_message_bytes(m) for m in inner if isinstance(m, Message))
    return _payload(part)


def _message_bytes(msg: Message) -> bytes:
    try:
        return msg.as_bytes()
    except Exception:  # the generator can fail on what the parser accepted
        return msg.as_string(policy=compat32).encode("utf-8", "surrogateescape")
