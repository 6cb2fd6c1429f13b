"""A `Query` evaluated in Python, against one message's summary and folded text.

The memory store searches with it, and tag rules (`mailtrap.storage.tagrules`) test arriving
mail with it before any store holds that mail. It mirrors the SQLite store's SQL
(`mailtrap.storage._sqlsearch`); the search contract suite runs both against the same cases.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailtrap.message.models import Envelope, MessageSummary
from mailtrap.message.parsing import Digest
from mailtrap.message.search import Query, Term
from mailtrap.message.searchtext import COLUMNS, indexed_text

__all__ = ["Entry", "digest_matches", "matches"]


@dataclass(slots=True)
class Entry:
    """One message as the memory store holds it, and as the evaluator reads it."""

    summary: MessageSummary
    raw: bytes
    envelope: Envelope
    text: dict[str, str]  # `searchtext.COLUMNS` name -> its folded text, as SQLite indexes it
    inline_count: int


def digest_matches(query: Query, digest: Digest, summary: MessageSummary) -> bool:
    """Whether the message `digest` (as `summary`) matches `query`: the memory store's search,
    for a message that is in no store (yet)."""
    text = dict(zip((c.name for c in COLUMNS), indexed_text(digest), strict=True))
    return matches(query, Entry(summary, b"", Envelope("", ()), text, digest.inline_count))


def matches(query: Query, entry: Entry) -> bool:
    """Whether `entry` matches every term of `query` (a negated term: does not match)."""
    return all(_term_matches(t, entry) != t.negated for t in query.terms)


def _term_matches(term: Term, entry: Entry) -> bool:
    s = entry.summary
    if term.text:
        columns = term.columns or entry.text.keys()
        return any(term.text in entry.text[c] for c in columns)
    if term.field == "login":
        return (s.username or "").casefold() == term.value
    if term.field == "tag":
        return any(t.casefold() == term.value for t in s.tags)
    if term.field == "is":
        return bool(s.tags) if term.value == "tagged" else s.read == (term.value == "read")
    if term.field == "has":
        return (s.attachment_count if term.value == "attachment" else entry.inline_count) > 0
    if term.field == "before":
        return term.when is not None and s.created <= term.when
    if term.field == "after":
        return term.when is not None and s.created >= term.when
    if term.field == "larger":
        return s.size > term.size
    if term.field == "smaller":
        return s.size < term.size
    raise AssertionError(f"unhandled search field {term.field!r}")  # parse_query rejects these
