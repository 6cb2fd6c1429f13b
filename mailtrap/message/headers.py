"""A message's header block for the ingest hot path, without building a full `email` message.

`split_head` reads the block by hand, following the stdlib feedparser's rules, within limits on
its size and field count; `mailtrap.message.values` decodes the values it finds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Fields", "Head", "clean", "lone_surrogate", "read_head", "split_head"]

# feedparser: a header line starts with a name of printable non-colon characters and a colon.
_FIELD = re.compile(rb"[\x21-\x39\x3b-\x7e]*:")
_BLANK = frozenset({b"\r\n", b"\n", b"\r"})


def clean(text: str) -> str:
    """`text` with surrogate-escaped raw bytes decoded as UTF-8 (SMTPUTF8 headers)."""
    if text.isascii():
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate that never was a byte
        return text.encode("utf-8", "replace").decode("utf-8")


def lone_surrogate(text: str) -> str | None:
    """Where `text` holds a lone surrogate (which JSON can carry, but which no encoder, SQLite
    or mail takes): "a lone surrogate (U+D800) at position 3"; None if it holds none."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"a lone surrogate (U+{ord(text[exc.start]):04X}) at position {exc.start}"
    return None


class Fields:
    """Header fields in order, looked up ignoring case."""

    __slots__ = ("_index", "items")

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self.items = items
        self._index: dict[str, list[str]] = {}
        for name, value in items:
            self._index.setdefault(name.lower(), []).append(value)

    def first(self, name: str) -> str | None:
        values = self._index.get(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return self._index.get(name, [])


# Past either limit a header block is an attack, not mail (real ones stay under 100 KiB and a
# few hundred fields). Both bound the summary and the full parse alike, via `Head`.
MAX_FIELDS = 10_000
MAX_HEAD_SIZE = 1024 * 1024  # bytes from the start of the message
# The line that ends a header block: one that is neither a field nor a continuation (a blank
# line included). Found by one regex search, so skipping a 25 MiB block costs no Python loop.
_HEAD_END = re.compile(rb"\n(?![ \t]|[\x21-\x39\x3b-\x7e]*:)")
_TOO_MANY = f"more than {MAX_FIELDS} header fields; the rest are not shown"
_TOO_BIG = f"header block larger than {MAX_HEAD_SIZE} bytes; the rest is not shown"


@dataclass(frozen=True, slots=True)
class Head:
    """A message's header block as read within the limits.

    `fields` are the fields read; `body_at` is where the body starts. When a limit was hit,
    `defect` says which, and `parseable` is `raw` without the fields past the limit (the whole
    fields before it and everything from the line that ends the header block on), for the
    MIME parser; otherwise `parseable` is `raw` itself. The caller keeps `raw` unchanged.
    """

    fields: Fields
    body_at: int
    parseable: bytes
    defect: str | None = None


# The usual header block: fields (each with its continuation lines) up to a blank line, within
# MAX_HEAD_SIZE. One regex match and one finditer read it; anything else (an mbox "From " line,
# no blank line, a limit hit) takes the line-by-line reader, whose answer is the same
# (tests/test_headers.py holds the two to it). Each alternative starts with a different byte,
# so a failed match backtracks once per line at most.
_PLAIN_HEAD = re.compile(rb"(?:[\x21-\x39\x3b-\x7e]*:[^\n]*\n(?:[ \t][^\n]*\n)*)+\r?\n")
_WHOLE_FIELD = re.compile(rb"([\x21-\x39\x3b-\x7e]*):([^\n]*\n(?:[ \t][^\n]*\n)*)")


def split_head(raw: bytes) -> Head:
    """The header fields of `raw` and where its body starts, within the limits above.

    Values are unfolded the way `policy.default` stores them (leading blanks after the colon
    and the final line break removed) and decoded as UTF-8 with replacement characters. As in
    the stdlib, a line that is neither a field nor a continuation ends the header block.
    Reading stops before the field that would be the `MAX_FIELDS + 1`th or would end past
    `MAX_HEAD_SIZE`, so only whole fields are kept.
    """
    plain = _PLAIN_HEAD.match(raw, 0, MAX_HEAD_SIZE)
    if plain is not None:
        items = [
            (name.decode("ascii"), value.decode("utf-8", "replace").lstrip(" \t").rstrip("\r\n"))
            for name, value in _WHOLE_FIELD.findall(raw, 0, plain.end())
        ]
        if len(items) <= MAX_FIELDS:
            return Head(Fields(items), plain.end(), raw)
    return read_head(raw)


def read_head(raw: bytes) -> Head:
    """`split_head` line by line: for any header block, within the limits."""
    items: list[tuple[str, str]] = []
    current: list[bytes] = []
    field_at = 0  # where the field in `current` starts
    defect = None
    pos, end = 0, len(raw)
    while pos < end:
        nl = raw.find(b"\n", pos)
        stop = end if nl < 0 else nl + 1
        line = raw[pos:stop]
        if line in _BLANK:
            pos = stop
            break
        if line[:1] in (b" ", b"\t") and current:
            if stop > MAX_HEAD_SIZE:  # drop the field cut in two rather than show half of it
                current, pos, defect = [], field_at, _TOO_BIG
                break
            current.append(line)
        elif _FIELD.match(line):
            if stop > MAX_HEAD_SIZE or len(items) + bool(current) >= MAX_FIELDS:
                defect = _TOO_BIG if stop > MAX_HEAD_SIZE else _TOO_MANY
                break
            if current:
                items.append(_field(current))
            current, field_at = [line], pos
        elif pos == 0 and line.startswith(b"From "):
            pass  # an mbox "From " line, which the feedparser also skips
        else:
            break  # the body starts without a blank line
        pos = stop
    if current:
        items.append(_field(current))
    if defect is None:
        return Head(Fields(items), pos, raw)
    # The rest of the header block is skipped: it is neither fields (past the limit) nor body
    # (reading it as body would show a megabyte of header lines as the text). It stays in raw.
    found = _HEAD_END.search(raw, pos)
    rest_end = found.end() if found else end
    nl = raw.find(b"\n", rest_end)
    after = end if nl < 0 else nl + 1
    body_at = after if raw[rest_end:after] in _BLANK else rest_end
    return Head(Fields(items), body_at, raw[:pos] + raw[rest_end:], defect)


def _field(lines: list[bytes]) -> tuple[str, str]:
    text = b"".join(lines).decode("utf-8", "replace")
    name, _, value = text.partition(":")
    return name.strip(), value.lstrip(" \t").rstrip("\r\n")
