"""Mailpit's search syntax, parsed once into terms that every store evaluates the same way.

    invoice "order shipped" from:shop@example.com -is:read has:attachment larger:1M

- Bare words and "quoted phrases" match the subject, the addresses, the Message-ID, the tags
  and the body text. Text is split into words (letters and digits); matching ignores case and
  accents. A bare word also matches longer words that start with it ("invo" finds "invoice");
  a quoted phrase matches whole words, in order.
- `from:` `to:` `cc:` `bcc:` `subject:` restrict a word or phrase to one field.
- `message-id:`, `tag:` and `login:` (the SMTP AUTH user) match the whole value, ignoring
  case.
- `is:read` `is:unread` `has:attachment`; `before:` `after:` take a date (YYYY-MM-DD, or an
  ISO 8601 time) and compare with the time mailtrap received the message; `larger:` and
  `smaller:` take a size in bytes with an optional k, M or G suffix.
- `-` in front of any term excludes the messages it matches.

Each term must match (terms are AND-ed). An unknown `name:` is an error, so a typo is reported
instead of silently searching for the literal text. So is a query no store could run: more than
`MAX_TERMS` terms, a size beyond `MAX_SIZE`, or text that is not valid Unicode (a lone
surrogate, which JSON can carry); every store and endpoint then answers the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from mailtrap.message.headers import lone_surrogate
from mailtrap.message.models import Address
from mailtrap.message.parsing import Digest

__all__ = [
    "COLUMNS",
    "MAX_INDEXED_BODY",
    "MAX_SIZE",
    "MAX_TERMS",
    "Column",
    "Query",
    "QueryError",
    "Term",
    "indexed_text",
    "parse_query",
    "tokenize",
]

# Far more than anyone types, and well inside what SQLite can compile: every term is one
# AND-ed condition, and SQLite refuses expressions nested deeper than 1000 (FTS5: 256).
MAX_TERMS = 100
# The largest integer SQLite stores (8 EiB): a size beyond it cannot be compared at all.
MAX_SIZE = 2**63 - 1

# Body text beyond this is stored (raw) but not indexed for search.
MAX_INDEXED_BODY = 512 * 1024


def _names(addresses: tuple[Address, ...]) -> str:
    return " ".join(map(str, addresses))


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the search index. `name` is the SQLite FTS5 column (and the memory
    store's key); `field` the `field:` that searches it alone (None: only free text does);
    `text` what it holds for a message."""

    name: str
    field: str | None
    text: Callable[[Digest], str]


# The one table of what a message is searchable by: free text searches every column. The
# SQLite schema's `fts` table and `incoming` view list these names in this order (a test
# holds them to it); a new column needs a migration.
COLUMNS = (
    Column("subject", "subject", lambda d: d.subject),
    Column("sender", "from", lambda d: str(d.sender) if d.sender else ""),
    Column("rcpt_to", "to", lambda d: _names(d.to)),
    Column("cc", "cc", lambda d: _names(d.cc)),
    Column("bcc", "bcc", lambda d: _names(d.bcc)),
    Column("message_id", None, lambda d: d.message_id),
    Column("tags", None, lambda d: " ".join(d.tags)),
    Column("body", None, lambda d: d.body_text[:MAX_INDEXED_BODY]),
)
# search field -> the column it searches
FIELD_COLUMNS = {c.field: c.name for c in COLUMNS if c.field is not None}
TEXT_FIELDS = frozenset(FIELD_COLUMNS)


def indexed_text(digest: Digest) -> tuple[str, ...]:
    """The text of each of `COLUMNS` for `digest`, in order."""
    return tuple(c.text(digest) for c in COLUMNS)


EXACT_FIELDS = frozenset({"message-id", "tag", "login"})
_FLAGS = {"is": frozenset({"read", "unread"}), "has": frozenset({"attachment", "attachments"})}
_DATE_FIELDS = frozenset({"before", "after"})
_SIZE_FIELDS = frozenset({"larger", "smaller"})
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
# A term: optional "-", optional "name:", then a "quoted value" or a run of non-spaces.
_TERM = re.compile(r'\s*(-?)(?:([A-Za-z][A-Za-z-]*):)?(?:"([^"]*)"?|(\S+))')
_WORD = re.compile(r"[^\W_]+")


class QueryError(ValueError):
    """A search query that cannot mean anything; the message names the term and the fix."""


@dataclass(frozen=True, slots=True)
class Term:
    """One condition. `field` is None for free text. For text terms `words` holds the
    normalized words to find, in order; `prefix` says whether the last may be a prefix.
    For `is`/`has` the value is the flag; for dates, a UTC datetime; for sizes, bytes."""

    field: str | None
    value: str
    negated: bool = False
    words: tuple[str, ...] = ()
    prefix: bool = False
    when: datetime | None = None
    size: int = 0


@dataclass(frozen=True, slots=True)
class Query:
    terms: tuple[Term, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)


def tokenize(text: str) -> list[str]:
    """Split text into search words: letters and digits, lower-cased, accents removed.

    Mirrors SQLite FTS5's `unicode61 remove_diacritics 2` tokenizer closely enough that the
    memory store and the SQLite store agree on ordinary mail.
    """
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _WORD.findall(text.lower())


def parse_query(text: str) -> Query:
    """Parse `text`; raise `QueryError` naming the term that makes no sense, or the limit a
    query breaks."""
    _check_unicode(text)
    terms: list[Term] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TERM.match(text, pos)
        if m is None:  # pragma: no cover - the pattern matches any non-space run
            raise QueryError(f"cannot parse search query at {text[pos:]!r}")
        pos = m.end()
        negated, name, quoted, bare = bool(m.group(1)), m.group(2), m.group(3), m.group(4)
        value = quoted if quoted is not None else bare or ""
        if name is not None and quoted is None and value.startswith("//"):
            name, value = None, f"{name}:{value}"  # a pasted URL is text, not a field
        terms.extend(_term(name.lower() if name else None, value, negated, quoted is not None))
        if len(terms) > MAX_TERMS:
            raise QueryError(
                f"search query has more than {MAX_TERMS} terms, the most a search takes; "
                "search with fewer, more specific terms"
            )
    return Query(tuple(terms))


def _check_unicode(text: str) -> None:
    # A lone surrogate is not text: SQLite cannot bind it, and no mail contains it.
    if (where := lone_surrogate(text)) is not None:
        raise QueryError(
            f"search query has {where}, which is not text; send the query as valid UTF-8"
        )


def _term(field: str | None, value: str, negated: bool, quoted: bool) -> list[Term]:
    if field is None or field in TEXT_FIELDS:
        words = tuple(tokenize(value))
        if not words:  # punctuation only: nothing to search for
            return []
        return [Term(field, value, negated, words=words, prefix=not quoted)]
    if field in EXACT_FIELDS:
        return [Term(field, value.strip().strip("<>").casefold(), negated)]
    if field in _FLAGS:
        flag = value.lower()
        if flag not in _FLAGS[field]:
            allowed = ", ".join(f"{field}:{f}" for f in sorted(_FLAGS[field]))
            raise QueryError(f"unknown search flag {field}:{value!r}; use {allowed}")
        return [Term(field, flag.rstrip("s") if field == "has" else flag, negated)]
    if field in _DATE_FIELDS:
        return [Term(field, value, negated, when=_parse_when(field, value))]
    if field in _SIZE_FIELDS:
        return [Term(field, value, negated, size=_parse_size(field, value))]
    known = sorted(TEXT_FIELDS | EXACT_FIELDS | set(_FLAGS) | _DATE_FIELDS | _SIZE_FIELDS)
    raise QueryError(
        f"unknown search field {field!r} in {field}:{value}; use one of "
        f"{', '.join(k + ':' for k in known)} or quote the text to search for it literally"
    )


def _parse_when(field: str, value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(
            f"{field}:{value!r} is not a date; use YYYY-MM-DD or an ISO 8601 time"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _parse_size(field: str, value: str) -> int:
    m = _SIZE.match(value.strip())
    if m is None:
        raise QueryError(f"{field}:{value!r} is not a size; use bytes or a k, M or G suffix")
    # Decimal, not float: exact for every size SQLite holds, and never infinite.
    size = Decimal(m.group(1)) * _UNITS[m.group(2).lower()]
    if size > MAX_SIZE:
        raise QueryError(
            f"{field}:{value!r} is more than the largest size a search can compare "
            f"({MAX_SIZE} bytes); use a smaller size, such as 25M"
        )
    return int(size)
