"""Compile a parsed search `Query` to a WHERE clause over `messages m JOIN search s`.

The same syntax (`mailtrap.message.search.parse_query`) and the same folding
(`searchtext.fold`, applied at ingest to `search`'s columns and by the parser to query text) as
the other stores; the semantics mirror `storage._match`, term for term, and the search
contract suites hold all stores to the same answers.

Free text is a LIKE over the folded columns joined end to end (`ALL_TEXT`), which pg_trgm's GIN
index serves where the database has that extension (schema/0002_trigram_index.sql); a field
(`subject:`, `from:`...) is `strpos` on its own small columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailtrap.message.search import Query, Term
from mailtrap.message.searchtext import COLUMNS

__all__ = ["ALL_TEXT", "Compiled", "compile_query"]

# Every folded column end to end: what free text is looked for in, and what the trigram index
# of schema/0002_trigram_index.sql holds (the same expression, or the index goes unused).
ALL_TEXT = " || ".join(f"s.{c.name}" for c in COLUMNS)


@dataclass(frozen=True, slots=True)
class Compiled:
    """`SELECT ... FROM {source} WHERE {where}` with `params` finds the matches."""

    source: str
    where: str
    params: list[Any]


def _like(text: str) -> str:
    # Folded text holds no LIKE wildcards (punctuation folds to spaces); escaped all the same.
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text(term: Term) -> tuple[str, list[Any]]:
    if term.columns is None:  # free text: the joined columns, as the trigram index has them
        return f"({ALL_TEXT}) LIKE %s", [_like(term.text)]
    found = " OR ".join(f"strpos(s.{c}, %s) > 0" for c in term.columns)
    return f"({found})", [term.text] * len(term.columns)


def _condition(term: Term) -> tuple[str, list[Any]]:
    field = term.field
    if field in ("login", "tag") and "\0" in term.value:
        return "false", []  # no name holds NUL (and PostgreSQL text cannot carry it)
    if field == "login":
        return "m.login = %s", [term.value]
    if field == "tag":
        return "EXISTS (SELECT 1 FROM tags t WHERE t.seq = m.seq AND t.key = %s)", [term.value]
    if field == "is":
        if term.value == "tagged":
            return "m.tags <> '[]'", []  # the JSON list of its tags
        return "m.read = %s", [term.value == "read"]
    if field == "has":
        return f"m.{term.value}_count > 0", []  # attachment_count or inline_count
    if field in ("before", "after"):
        assert term.when is not None
        op = "<=" if field == "before" else ">="
        return f"m.created {op} %s", [term.when.timestamp()]
    if field == "larger":
        return "m.size > %s", [term.size]
    if field == "smaller":
        return "m.size < %s", [term.size]
    raise AssertionError(f"unhandled search field {field!r}")  # parse_query rejects these


def compile_query(query: Query) -> Compiled:
    clauses: list[str] = []
    params: list[Any] = []
    for term in query.terms:
        sql, values = _text(term) if term.text else _condition(term)
        clauses.append(f"NOT {sql}" if term.negated else sql)
        params.extend(values)
    texts = any(term.text for term in query.terms)
    source = "messages m JOIN search s ON s.seq = m.seq" if texts else "messages m"
    return Compiled(source, " AND ".join(f"({c})" for c in clauses) or "true", params)
