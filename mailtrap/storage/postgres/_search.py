"""Compile a parsed search `Query` to a WHERE clause over `messages m JOIN search s`.

The same syntax (`mailtrap.message.search.parse_query`) and the same folding
(`searchtext.fold`, applied at ingest to `search`'s columns and by the parser to query text) as
the other stores; the semantics mirror `storage._match`, term for term, and the search
contract suites hold all stores to the same answers.

Free text is a LIKE on each folded column in turn, the body first (`TEXT`); a field
(`subject:`, `from:`...) is a LIKE on its own small columns. pg_trgm's GIN indexes serve them
where the database has that extension (`FIELDS`). `search_page` runs a compiled query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailtrap.message.search import Query, Term
from mailtrap.message.searchtext import COLUMNS
from mailtrap.storage._sqlcommon import Dialect, field_condition
from mailtrap.storage.base import Page
from mailtrap.storage.postgres._rows import SUMMARY_COLUMNS, summary_from
from mailtrap.storage.postgres._writer import Conn
from mailtrap.storage.postgres._writes import COUNTS, pair

__all__ = ["DIALECT", "FIELDS", "TEXT", "Compiled", "compile_query", "count_query", "search_page"]

# PostgreSQL's SQL, for what both SQL stores share (`_sqlcommon`). `login` is stored casefolded
# ('' for none), as the parsed term is. A tag's writes lock the messages they change: another
# instance may write the same schema at once.
DIALECT = Dialect("%s", "m.login = %s", lock_rows=" FOR UPDATE OF m")
# The folded columns but the body, which the trigram index `search_fields` holds, one column of
# it each (schema/0003_search_indexes_for_broad_queries.sql); `search_body` holds the body.
FIELDS = tuple(c.name for c in COLUMNS if c.name != "body")
# Where free text is looked for, the body first: a broad term is most often there, and is then
# checked in no other column. A term is found in one column or another, as it is in the folded
# columns joined end to end (each non-empty one ends in two spaces, which no term holds).
TEXT = ("body", *FIELDS)
# pg_trgm finds LIKE's candidates by the term's trigrams (runs of three characters).
TRIGRAM = 3


@dataclass(frozen=True, slots=True)
class Compiled:
    """`SELECT ... FROM {source} WHERE {where}` with `params` finds the matches."""

    source: str
    where: str
    params: list[Any]
    # Every term is a text term: the matches are found in `search s` alone.
    text_only: bool = False


def _like(text: str) -> str:
    # Folded text holds no LIKE wildcards (punctuation folds to spaces); escaped all the same.
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text(term: Term) -> tuple[str, list[Any]]:
    columns = term.columns or TEXT
    if len(term.text) < TRIGRAM:  # no trigram to look a row up by: every row is read, and
        # strpos reads it three times faster than LIKE
        found = [f"strpos(s.{c}, %s) > 0" for c in columns]
        return f"({' OR '.join(found)})", [term.text] * len(columns)
    pattern = _like(term.text)
    return f"({' OR '.join(f's.{c} LIKE %s' for c in columns)})", [pattern] * len(columns)


def _condition(term: Term) -> tuple[str, list[Any]]:
    if term.field in ("login", "tag") and "\0" in term.value:
        return "false", []  # no name holds NUL (and PostgreSQL text cannot carry it)
    return field_condition(term, DIALECT)


def compile_query(query: Query) -> Compiled:
    clauses: list[str] = []
    params: list[Any] = []
    for term in query.terms:
        sql, values = _text(term) if term.text else _condition(term)
        clauses.append(f"NOT {sql}" if term.negated else sql)
        params.extend(values)
    texts = any(term.text for term in query.terms)
    source = "messages m JOIN search s ON s.seq = m.seq" if texts else "messages m"
    text_only = texts and all(term.text for term in query.terms)
    where = " AND ".join(f"({c})" for c in clauses) or "true"
    return Compiled(source, where, params, text_only)


def count_query(q: Compiled) -> tuple[str, list[Any]]:
    """A statement selecting the number of `q`'s matches and of its read ones, with its
    parameters: the unread are the difference. In a mail catcher few messages are read, so the
    partial index `messages_read` finds those few and each is checked alone, where counting the
    unread directly joins every match to `messages` for its flag. A text-only query counts all
    its matches in `search` alone, without that join."""
    every = "search s" if q.text_only else q.source
    read = "messages m JOIN search s ON s.seq = m.seq" if q.text_only else q.source
    return (
        f"SELECT (SELECT count(*) FROM {every} WHERE {q.where}), "
        f"(SELECT count(*) FROM {read} WHERE m.read AND ({q.where}))",
        [*q.params, *q.params],
    )


def search_page(conn: Conn, q: Compiled, start: int, limit: int) -> Page:
    """The page of `q`'s matches from `start` (newest first), and their counts, read on `conn`
    (in one snapshot)."""
    if q.where == "true":  # no terms: every message, which the counters count
        total, unread = pair(conn, COUNTS)
    else:
        total, read = pair(conn, *count_query(q))
        unread = total - read
    rows = []
    if total > start:  # else no page: a search no index serves would read every row again
        rows = conn.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM {q.source} WHERE {q.where} "
            "ORDER BY m.seq DESC LIMIT %s OFFSET %s",
            (*q.params, limit, start),
        ).fetchall()
    return Page(tuple(map(summary_from, rows)), total, unread, start)
