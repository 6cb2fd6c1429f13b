"""What a message is searchable by, and the one folding that index and query text share.

Search text is matched as a substring, as Mailpit does (`LIKE '%term%'`), after both sides
are folded by `fold`: case folded, accents removed from Latin, Greek and Cyrillic letters,
compatibility forms unified (full-width letters, ligatures), and every run of whitespace and
punctuation made one space. Symbols (emoji, currency) and every other script are kept as they
are, so `ご注文` and `주문` match only themselves. The SQLite store indexes the folded text with
FTS5's trigram tokenizer and the memory store tests `in`: the folding is the only place the
two could disagree, and it is this one function.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mailtrap.message.models import Address
from mailtrap.message.parsing import Digest

__all__ = ["COLUMNS", "MAX_INDEXED_BODY", "PAD", "Column", "fold", "indexed_text", "tags_text"]

# Body text beyond this is stored (raw) but not indexed for search.
MAX_INDEXED_BODY = 512 * 1024

# The Combining Diacritical Marks block only: the accents of Latin, Greek and Cyrillic. Marks
# of other scripts (the kana voicing mark in `ご`, Indic vowel signs) change the letter, and
# Hangul decomposes into jamo that are not marks at all; NFC puts those back together.
_ACCENTS = re.compile("[\u0300-\u036f]+")


def _separators() -> str:
    """A regex class of every character that separates words: all ASCII that is not a letter
    or digit, and Unicode whitespace, punctuation and control characters. Built once from the
    Basic Multilingual Plane, which holds all of Unicode's punctuation that mail uses."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        ch = chr(code)
        if ch.isascii():
            sep = not ch.isalnum()
        else:  # P: punctuation, Z: separators, C: control, format, surrogate, unassigned
            sep = unicodedata.category(ch)[0] in "PZC" and not 0xD800 <= code <= 0xDFFF
        if sep:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


_SEPARATORS = re.compile(f"[{_separators()}]+")
# ASCII, lower-cased, with every byte that is not a letter or digit a space: the ingest hot
# path (mail is mostly ASCII), where bytes.translate and split are five times faster than a
# regex substitution.
_ASCII = bytes(b if chr(b).isalnum() else 32 for b in range(128)).lower() + bytes(128)


def fold(text: str) -> str:
    """`text` as search compares it: see the module docstring. "Zoë <zoe@Example.org>" folds
    to "zoe zoe example org"."""
    if text.isascii():
        return b" ".join(text.encode("ascii").translate(_ASCII).split()).decode("ascii")
    text = _ACCENTS.sub("", unicodedata.normalize("NFKD", text))
    return _SEPARATORS.sub(" ", unicodedata.normalize("NFC", text).casefold()).strip()


def _names(addresses: tuple[Address, ...]) -> str:
    return " ".join(map(str, addresses))


def _body(d: Digest) -> str:
    # Mailpit's search text also holds the attachments' file names and the Return-Path.
    return " ".join((d.body_text[:MAX_INDEXED_BODY], *d.attachment_names, d.return_path))


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the search index. `name` is the SQLite FTS5 column (and the memory
    store's key); `fields` the `field:`s that search it (free text searches every column);
    `text` what it holds for a message, before folding."""

    name: str
    fields: tuple[str, ...]
    text: Callable[[Digest], str]


_ADDRESSED = ("addressed",)

# The one table of what a message is searchable by. The SQLite schema's `fts` table and
# `incoming` view list these names in this order (a test holds them to it); a new column
# needs a migration.
COLUMNS = (
    Column("subject", ("subject",), lambda d: d.subject),
    Column("sender", ("from", *_ADDRESSED), lambda d: str(d.sender) if d.sender else ""),
    Column("rcpt_to", ("to", *_ADDRESSED), lambda d: _names(d.to)),
    Column("cc", ("cc", *_ADDRESSED), lambda d: _names(d.cc)),
    Column("bcc", ("bcc", *_ADDRESSED), lambda d: _names(d.bcc)),
    Column("reply_to", ("reply-to", *_ADDRESSED), lambda d: _names(d.reply_to)),
    Column("message_id", ("message-id",), lambda d: d.message_id),
    Column("tags", (), lambda d: " ".join(d.tags)),
    Column("body", (), _body),
)
# search field -> the columns it searches
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {}
for _column in COLUMNS:
    for _field in _column.fields:
        FIELD_COLUMNS.setdefault(_field, ())
        FIELD_COLUMNS[_field] += (_column.name,)
TEXT_FIELDS = frozenset(FIELD_COLUMNS)


# Two spaces after each column's text, which no folded query contains: every character is then
# the first of some trigram, so the SQLite store can find one- and two-character terms through
# the index's vocabulary of trigrams (see `_sqlsearch`) instead of reading every message.
PAD = "  "


def _indexed(text: str) -> str:
    if not text:  # most messages leave most columns empty (Cc, Bcc, Reply-To, tags)
        return ""
    folded = fold(text)
    return folded + PAD if folded else ""


def indexed_text(digest: Digest) -> tuple[str, ...]:
    """The folded (and padded) text of each of `COLUMNS` for `digest`, in order."""
    return tuple(_indexed(c.text(digest)) for c in COLUMNS)


def tags_text(tags: Iterable[str]) -> str:
    """The `tags` column's indexed text for a message's `tags`."""
    return _indexed(" ".join(tags))
