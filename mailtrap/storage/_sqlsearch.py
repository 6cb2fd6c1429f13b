"""Compile a parsed search `Query` to an SQL WHERE clause over `messages m`.

Text terms go to the FTS5 index: the positive ones as one MATCH expression (one index lookup),
each negative one as its own `NOT IN`, since FTS5's NOT needs a positive left-hand side. The
semantics mirror `MemoryStore`'s evaluator term for term. `search_counts` counts a compiled
query's matches.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from mailtrap.message.search import FIELD_COLUMNS, Query, Term

__all__ = ["Compiled", "compile_query", "search_counts"]


def _fts(term: Term) -> str:
    # Words are letters and digits only (see search.tokenize), so quoting them is safe.
    phrase = '"' + " ".join(term.words) + '"' + (" *" if term.prefix else "")
    if term.field is None:
        return phrase
    return f"{{{FIELD_COLUMNS[term.field]}}} : {phrase}"


def _condition(term: Term) -> tuple[str, list[Any]]:
    field = term.field
    if field == "message-id":
        return "m.message_id = ?", [term.value]
    if field == "login":
        return "coalesce(m.username, '') = ? COLLATE NOCASE", [term.value]
    if field == "tag":
        return "EXISTS (SELECT 1 FROM tags t WHERE t.seq = m.seq AND t.key = ?)", [term.value]
    if field == "is":
        return "m.read = ?", [int(term.value == "read")]
    if field == "has":
        return "m.attachment_count > 0", []
    if field in ("before", "after"):
        assert term.when is not None
        op = "<" if field == "before" else ">="
        return f"m.created {op} ?", [term.when.timestamp()]
    if field == "larger":
        return "m.size > ?", [term.size]
    if field == "smaller":
        return "m.size < ?", [term.size]
    raise AssertionError(f"unhandled search field {field!r}")  # parse_query rejects these


@dataclass(frozen=True, slots=True)
class Compiled:
    """`SELECT ... FROM {source} WHERE {where} ORDER BY {order}` with `params`.

    With positive text terms the FTS index drives the query (joined to the messages, newest
    first by its rowid), so one index pass yields both the page and the counts; otherwise the
    messages table is scanned newest first."""

    source: str
    where: str
    params: list[Any]
    order: str
    fts_only: bool = False  # only positive words: the FTS index alone decides what matches


def compile_query(query: Query) -> Compiled:
    clauses: list[str] = []
    params: list[Any] = []
    positive = [t for t in query.terms if t.words and not t.negated]
    source, order = "messages m", "m.seq DESC"
    if positive:
        source, order = "fts JOIN messages m ON m.seq = fts.rowid", "fts.rowid DESC"
        clauses.append("fts MATCH ?")
        params.append(" AND ".join(_fts(t) for t in positive))
    for term in query.terms:
        if term.words:
            if term.negated:
                clauses.append("m.seq NOT IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
                params.append(_fts(term))
            continue
        sql, values = _condition(term)
        clauses.append(f"NOT ({sql})" if term.negated else sql)
        params.extend(values)
    fts_only = bool(positive) and len(clauses) == 1
    return Compiled(source, " AND ".join(clauses) or "1", params, order, fts_only)


def search_counts(conn: sqlite3.Connection, q: Compiled) -> tuple[int, int]:
    """(matches, unread matches) for `q`, inside the caller's read transaction."""
    if not q.fts_only:
        row = conn.execute(
            f"SELECT count(*), coalesce(sum(m.read = 0), 0) FROM {q.source} WHERE {q.where}",
            q.params,
        ).fetchone()
        return row[0], row[1]
    # FTS rows and messages are one to one (added together, deleted by trigger), so the
    # index counts the matches without the join, which cost a B-tree lookup per match.
    total = conn.execute(f"SELECT count(*) FROM fts WHERE {q.where}", q.params).fetchone()[0]
    (opened,) = conn.execute("SELECT total - unread FROM counters").fetchone()
    if not opened:
        return total, total
    read = conn.execute(
        "SELECT count(*) FROM messages WHERE read = 1 "
        f"AND seq IN (SELECT rowid FROM fts WHERE {q.where})",
        q.params,
    ).fetchone()[0]
    return total, total - read
