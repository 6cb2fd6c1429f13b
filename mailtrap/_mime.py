"""Walking a parsed MIME tree: find the bodies, list the other parts, decode text safely.

The walk is iterative with a depth limit, so a hostile 10,000-deep nest costs a loop, not the
interpreter's recursion limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.policy import compat32
from functools import partial
from html import unescape
from html.parser import HTMLParser

__all__ = ["Body", "Part", "decode_bytes", "decode_text", "html_to_text", "walk_parts"]

MAX_DEPTH = 100
MAX_PARTS = 1000  # a message with more is a bomb, not mail; the rest stays in the raw source
_ASCII = frozenset({"us-ascii", "ascii", "ansi_x3.4-1968"})


@dataclass(frozen=True, slots=True)
class Part:
    """A non-body leaf part. `load` decodes its bytes; `size` is the decoded size."""

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


def _param(part: Message, getter: Callable[[], str | None], what: str, defects: list[str]) -> str:
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
    message/delivery-status is one attachment. With `want_data` false, sizes are not computed.
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
        disposition = _param(part, part.get_content_disposition, "disposition", defects)
        filename = _param(part, part.get_filename, "filename", defects)
        if disposition != "attachment" and not filename:
            if ctype == "text/plain" and not body.text:
                body.text = decode_text(part, defects)
                continue
            if ctype == "text/html" and not body.html:
                body.html = decode_text(part, defects)
                continue
        content_id = _param(part, partial(_content_id, part), "Content-ID", defects)
        inline = bool(content_id) and disposition != "attachment"
        leaf = Part(
            part_id=part_id or "1",
            filename=filename,
            content_type=ctype,
            content_id=content_id.strip().strip("<>"),
            size=len(_part_bytes(part)) if want_data else 0,
            inline=inline,
            load=partial(_part_bytes, part),
        )
        (body.inline if inline else body.attachments).append(leaf)
    return body


def _content_id(part: Message) -> str:
    return str(part.get("Content-ID", ""))


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


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "title"})
    _BREAK = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAK:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML document, for snippets and the search index (not display)."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient, but never let a snippet break ingest
        return unescape(html)
    return "".join(parser.chunks)
