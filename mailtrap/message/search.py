"""Mailpit's search syntax, parsed once into terms that every store evaluates the same way.

    invoice "order shipped" from:shop@example.com !is:read has:attachment after:2024/01/31

- Words and "quoted phrases" are found as substrings, as in Mailpit: `voice` finds "invoice",
  `2345` finds "12345". They are looked for in the subject, the From, To, Cc, Bcc and
  Reply-To addresses (names included), the body text, the attachments' file names, the
  Return-Path, and (beyond Mailpit) the Message-ID and the tags. Case, accents (`cafe` finds
  "Café") and punctuation are ignored: every run of spaces and punctuation counts as one
  space (see `mailtrap.message.searchtext.fold`).
- `from:` `to:` `cc:` `bcc:` `reply-to:` `subject:` `message-id:` find a substring in one
  field; `addressed:` in any of From, To, Cc, Bcc and Reply-To.
- `tag:` and (beyond Mailpit) `login:`, the SMTP AUTH user, match the whole value, ignoring
  case.
- `is:read` `is:unread` `is:tagged` `has:attachment` `has:inline`; `larger:` and `smaller:`
  take a size in bytes with an optional k, M or G suffix (`1.5M`, `500kb`).
- `before:` and `after:` take a date (2000-01-31, 2000/01/31, "31 Jan 2000", ISO 8601; see
  `mailtrap.message.searchdate`) and compare it with the time mailtrap received the message.
  A date without an offset is in the `tz` given to `parse_query`, else the server's zone.
- `-` or `!` in front of any term excludes the messages it matches.
- A `name:` that is none of these is text, as in Mailpit: `https://example.com` or
  `subjet:x` search for that text.

Terms are separated by spaces outside double quotes, and each must match (they are AND-ed).
Unlike Mailpit, which ignores them, a known field with a value that means nothing (`is:new`,
`larger:huge`, `before:someday`) or an unknown `tz` is an error naming the value and the fix;
so is a query no store could run: more than `MAX_TERMS` terms, a size beyond `MAX_SIZE`, or
text that is not valid Unicode (a lone surrogate, which JSON can carry). Every store and
endpoint then answers the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal

from mailtrap.message.headers import lone_surrogate
from mailtrap.message.searchdate import DateError, parse_date, time_zone
from mailtrap.message.searchtext import FIELD_COLUMNS, TEXT_FIELDS, fold

__all__ = ["MAX_SIZE", "MAX_TERMS", "Query", "QueryError", "Term", "parse_query"]

# Far more than anyone types, and well inside what SQLite can compile: every term is one
# AND-ed condition, and SQLite refuses expressions nested deeper than 1000 (FTS5: 256).
MAX_TERMS = 100
# The largest integer SQLite stores (8 EiB): a size beyond it cannot be compared at all.
MAX_SIZE = 2**63 - 1

EXACT_FIELDS = frozenset({"tag", "login"})
_FLAGS = {
    "is": {"read": "read", "unread": "unread", "tagged": "tagged"},
    "has": {
        "attachment": "attachment",
        "attachments": "attachment",
        "inline": "inline",
        "inlines": "inline",
    },
}
_DATE_FIELDS = frozenset({"before", "after"})
_SIZE_FIELDS = frozenset({"larger", "smaller"})
KNOWN_FIELDS = TEXT_FIELDS | EXACT_FIELDS | set(_FLAGS) | _DATE_FIELDS | _SIZE_FIELDS
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_FIELD = re.compile(r"^([A-Za-z][A-Za-z-]*):(.*)$", re.DOTALL)


class QueryError(ValueError):
    """A search query that cannot mean anything; the message names the term and the fix."""


@dataclass(frozen=True, slots=True)
class Term:
    """One condition. `field` is None for free text. Text terms (free text and the fields
    of `FIELD_COLUMNS`) hold in `text` the folded substring to find. For `is`/`has` the value
    is the flag; for dates `when` is an aware datetime; for sizes `size` is in bytes."""

    field: str | None
    value: str
    negated: bool = False
    text: str = ""
    when: datetime | None = None
    size: int = 0

    @property
    def columns(self) -> tuple[str, ...] | None:
        """The index columns a text term searches: None for all of them (free text)."""
        return None if self.field is None else FIELD_COLUMNS[self.field]


@dataclass(frozen=True, slots=True)
class Query:
    terms: tuple[Term, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)


def split_terms(text: str) -> list[str]:
    """Split a query as Mailpit does: at whitespace outside double quotes; the quotes are
    dropped wherever they stand, so `subject:"a b"` is the one term `subject:a b`."""
    terms: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch.isspace() and not quoted:
            if term := "".join(current).strip():
                terms.append(term)
            current = []
        else:
            current.append(ch)
    if term := "".join(current).strip():
        terms.append(term)
    return terms


def parse_query(text: str, tz: str | None = None) -> Query:
    """Parse `text`; raise `QueryError` naming the term that makes no sense, or the limit a
    query breaks. `tz` is the IANA time zone of dates without an offset (default: local)."""
    _check_unicode(text)
    try:
        zone = time_zone(tz)
    except DateError as exc:
        raise QueryError(str(exc)) from None
    terms: list[Term] = []
    for written in split_terms(text):
        negated = len(written) > 1 and written[0] in "-!"
        word = written[1:] if negated else written
        name, value = None, word
        if (m := _FIELD.match(word)) and m.group(1).lower() in KNOWN_FIELDS:
            name, value = m.group(1).lower(), m.group(2).strip()
            if not value:
                continue  # `from:` alone, as in Mailpit: nothing to search for
        if (term := _term(name, value, negated, zone)) is not None:
            terms.append(term)
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


def _term(field: str | None, value: str, negated: bool, zone: tzinfo | None) -> Term | None:
    if field is None or field in TEXT_FIELDS:
        folded = fold(value)
        # Only spaces and punctuation: nothing to search for (Mailpit would look for the
        # punctuation itself, which the index, like the folding, does not keep).
        return Term(field, value, negated, text=folded) if folded else None
    if field in EXACT_FIELDS:
        return Term(field, value.strip("<>").casefold(), negated)
    if field in _FLAGS:
        flag = _FLAGS[field].get(value.lower())
        if flag is None:
            allowed = ", ".join(f"{field}:{f}" for f in sorted(set(_FLAGS[field].values())))
            raise QueryError(f"unknown search flag {field}:{value!r}; use {allowed}")
        return Term(field, flag, negated)
    if field in _DATE_FIELDS:
        try:
            when = parse_date(value, zone)
        except DateError as exc:
            raise QueryError(f"{field}:{exc}") from None
        return Term(field, value, negated, when=when)
    return Term(field, value, negated, size=_parse_size(field, value))


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
