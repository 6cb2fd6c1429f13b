"""The message model: immutable values that every store, the API and the fixtures share.

A `MessageSummary` is what lists and searches return: the fields that can be stored in columns
beside the raw bytes. A `Message` is a summary plus everything a full parse of the raw bytes
yields; stores build it on demand, so it is never stale with respect to the bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase

from mailtrap.message import extract


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: a display name (possibly empty) and an address (possibly not valid)."""

    name: str
    address: str

    def __str__(self) -> str:
        if not self.name:
            return self.address
        return f'"{self.name}" <{self.address}>'


@dataclass(frozen=True, slots=True)
class Envelope:
    """What the SMTP session said, as opposed to what the headers claim.

    `mail_from` is the reverse path ("" for a null sender), `rcpt_tos` the accepted recipients
    in order. `peer` is "host:port" of the client, `helo` the name it gave, `tls` whether the
    session was encrypted and `login` the authenticated user name, if any.
    """

    mail_from: str
    rcpt_tos: tuple[str, ...]
    peer: str = ""
    helo: str = ""
    tls: bool = False
    login: str | None = None


class Headers(Sequence[tuple[str, str]]):
    """An immutable, ordered multi-map of decoded header fields.

    Lookups ignore case. Iteration yields `(name, value)` pairs in message order, so repeated
    fields such as `Received` keep their order.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Sequence[tuple[str, str]] = ()) -> None:
        self._items = tuple(items)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of `name`, or `default` when the field is absent."""
        key = name.lower()
        for k, v in self._items:
            if k.lower() == key:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        """Every value of `name`, in message order (empty when absent)."""
        key = name.lower()
        return [v for k, v in self._items if k.lower() == key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __getitem__(self, index: int) -> tuple[str, str]:  # type: ignore[override]
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and other._items == self._items

    def __hash__(self) -> int:
        return hash(self._items)

    def __repr__(self) -> str:
        return f"Headers({list(self._items)!r})"


@dataclass(frozen=True, slots=True)
class Attachment:
    """One non-body MIME part. `data` decodes the part's bytes when it is read.

    `part_id` is the dotted position of the part in the MIME tree ("2", "1.3"), stable for a
    given raw message, so it can address the part later. `inline` is true for parts meant to be
    shown inside the HTML (Content-Disposition inline, or referenced by a Content-ID).
    """

    part_id: str
    filename: str
    content_type: str
    content_id: str
    size: int
    inline: bool = False
    _load: Callable[[], bytes] = field(default=lambda: b"", repr=False, compare=False)

    @property
    def data(self) -> bytes:
        """The decoded content (base64 and quoted-printable undone)."""
        return self._load()


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageFields:
    """What a message's raw bytes and envelope say about it: the one field set that ingest's
    `parsing.Digest` and the stored `MessageSummary` share (each adds its own fields).

    `date` is the Date header, when it parses. `bcc` holds envelope recipients that no To or
    Cc header names. `attachment_count` counts the non-inline attachments. `username` is the
    SMTP AUTH login, if any.
    """

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


# Names, not `fields()`: read once, as a tuple, on the ingest hot path.
MESSAGE_FIELDS = tuple(MessageFields.__dataclass_fields__)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageSummary(MessageFields):
    """The stored summary of one message; cheap to list and search: `MessageFields` plus what
    the store assigns. `id` is the store's; `created` is when mailtrap received it (UTC);
    `size` the raw bytes' length; `read` whether someone has opened it.
    """

    id: str
    created: datetime
    size: int
    read: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Message(MessageSummary):
    """A summary plus the full parse of the raw bytes.

    `raw` is exactly what the client sent after dot-unstuffing, with mailtrap's `Received`
    trace field in front. `text` and `html` are the bodies decoded, their line endings made
    LF (SMTP sends CRLF); `raw` keeps them as sent. `headers` are decoded (RFC 2047, UTF-8);
    `raw_headers` are as sent, only unfolded. `defects` lists what the lenient parser had to
    work around; a message with defects is still complete in `raw`.
    """

    envelope: Envelope
    raw: bytes = field(repr=False)
    headers: Headers
    raw_headers: Headers
    text: str
    html: str
    attachments: tuple[Attachment, ...]
    inline: tuple[Attachment, ...]
    defects: tuple[str, ...]

    def summary(self) -> MessageSummary:
        """This message as a plain summary (drops the parsed body and raw bytes)."""
        names = MessageSummary.__dataclass_fields__
        return MessageSummary(**{n: getattr(self, n) for n in names})

    def __repr__(self) -> str:
        to = ", ".join(a.address for a in self.to) or "-"
        sender = self.sender.address if self.sender else "-"
        return f"<Message {self.id} from {sender} to {to} subject={self.subject!r}>"

    def links(self) -> list[str]:
        """Every link: HTML hrefs (entities decoded) and URLs in the text, each once."""
        return extract.links(self.text, self.html)

    def link(self, pattern: extract.Pattern = None, *, text: extract.Pattern = None) -> str:
        """The one link containing `pattern` (a str is a plain substring, never a regex) or
        matching it (a compiled `re.Pattern`, searched), and, with `text`, whose anchor text
        (an HTML link's visible text, an image's alt text included) contains `text`, ignoring
        case and runs of whitespace, or matches it if compiled.

        Raises ExtractionError (an AssertionError) listing the links if not exactly one."""
        __tracebackhide__ = True  # pytest shows the test's line, not this one
        if text is None:
            return extract.only("link", self.links(), pattern)
        texts: dict[str, list[str]] = {}
        for href, label in extract.anchors(self.html):
            texts.setdefault(href, []).append(label)
        wanted = text if isinstance(text, re.Pattern) else " ".join(text.split()).casefold()

        def shown(link: str) -> bool:
            if isinstance(wanted, re.Pattern):
                return any(wanted.search(t) for t in texts.get(link, []))
            return any(wanted in t.casefold() for t in texts.get(link, []))

        return extract.only(
            "link",
            self.links(),
            pattern,
            wanted=f"with text {extract.describe(text)}",
            keep=shown,
            label=lambda link: " ".join([link, *(repr(t) for t in texts.get(link, []))]),
        )

    def codes(self) -> list[str]:
        """One-time-code-like tokens in the body, in order (see `mailtrap.message.extract`)."""
        return extract.codes(self.text, self.html)

    def code(self, pattern: extract.Pattern = None) -> str:
        """The one code of `codes()` containing `pattern` (a str is a plain substring, never a
        regex) or matching it (a compiled `re.Pattern`, searched); ExtractionError if not
        exactly one."""
        __tracebackhide__ = True
        return extract.only("code", self.codes(), pattern)

    def attachment(self, pattern: extract.Pattern = None) -> Attachment:
        """The one attachment whose file name matches `pattern`: a str is a shell-style glob,
        case ignored (`"*.pdf"`, `"invoice-??.PDF"`; without wildcards, the whole name), a
        compiled `re.Pattern` is searched. Inline parts (`inline`) are not attachments.

        Raises ExtractionError (an AssertionError) listing the attachments if not exactly
        one matches."""
        __tracebackhide__ = True
        names = [a.filename for a in self.attachments]
        if isinstance(pattern, str):
            glob = pattern.casefold()
            name = extract.only(
                "attachment",
                names,
                None,
                wanted=f"named {pattern!r} (a glob, case ignored)",
                keep=lambda n: fnmatchcase(n.casefold(), glob),
            )
        else:
            name = extract.only("attachment", names, pattern)
        return self.attachments[names.index(name)]
