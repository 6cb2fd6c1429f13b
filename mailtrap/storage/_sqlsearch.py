"""Compile a parsed search `Query` to an SQL WHERE clause over `messages m`.

Text terms are substrings of the folded text in the FTS5 table, whose trigram tokenizer indexes
every three characters (a phrase of trigrams is a substring). A term of three characters or
more is a phrase; a shorter one is looked up in the index's vocabulary (`fts_terms`): every
trigram that starts with it, OR-ed. The indexed text ends in `searchtext.PAD`, so each of its
characters starts a trigram and none is missed. The positive text terms make one MATCH
expression (one index lookup); each negative one is its own `NOT IN`, since FTS5's NOT needs a
positive left-hand side. Compiling reads the vocabulary, so it happens inside the caller's read
transaction. The semantics mirror `MemoryStore`'s evaluator term for term. `search_counts`
counts a compiled query's matches.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from mailtrap.message.search import Query, Term
from mailtrap.message.searchtext import COLUMNS

__all__ = ["Compiled", "compile_query", "search_counts"]


# The trigram tokenizer indexes three characters at a time (Unicode code points, as Python's
# len counts them).
TRIGRAM = 3
# A short term that starts more trigrams than this (a single common letter) is looked for in
# the stored text of every row instead: an OR of thousands of phrases reads the whole index.
MAX_EXPANSION = 2000
_ALL = tuple(c.name for c in COLUMNS)
_LAST = "\U0010ffff"  # sorts after every character, as UTF-8 bytes compare


def _in_columns(term: Term, expression: str) -> str:
    columns = term.columns
    return expression if columns is None else f"{{{' '.join(columns)}}} : {expression}"


def _fts(conn: sqlite3.Connection, term: Term) -> str | None:
    """The FTS5 expression for a text term; None if it is too short and too common for the
    index (see `MAX_EXPANSION`). Folded text holds no '"' (punctuation folds to spaces), so
    quoting it is safe."""
    if len(term.text) >= TRIGRAM:
        return _in_columns(term, f'"{term.text}"')
    trigrams = [
        t
        for (t,) in conn.execute(
            "SELECT term FROM fts_terms WHERE term >= ? AND term < ? LIMIT ?",
            (term.text, term.text + _LAST, MAX_EXPANSION + 1),
        )
        if t.startswith(term.text)
    ]
    if len(trigrams) > MAX_EXPANSION:
        return None
    if not trigrams:
        return ""  # no message holds it
    return _in_columns(term, "(" + " OR ".join(f'"{t}"' for t in trigrams) + ")")


def _scan(term: Term) -> tuple[str, list[Any]]:
    """`instr` over the stored text of the message's row in `fts`: no index."""
    columns = term.columns or _ALL
    found = " OR ".join(f"instr(s.{c}, ?)" for c in columns)
    sql = f"EXISTS (SELECT 1 FROM fts s WHERE s.rowid = m.seq AND ({found}))"
    return sql, [term.text] * len(columns)


def _condition(term: Term) -> tuple[str, list[Any]]:
    field = term.field
    if field == "login":
        return "coalesce(m.username, '') = ? COLLATE NOCASE", [term.value]
    if field == "tag":
        return "EXISTS (SELECT 1 FROM tags t WHERE t.seq = m.seq AND t.key = ?)", [term.value]
    if field == "is":
        if term.value == "tagged":
            return "m.tags <> '[]'", []  # the JSON list of its tags
        return "m.read = ?", [int(term.value == "read")]
    if field == "has":
        return f"m.{term.value}_count > 0", []  # attachment_count or inline_count
    if field in ("before", "after"):
        assert term.when is not None
        op = "<=" if field == "before" else ">="
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
    fts_only: bool = False  # only positive indexed terms: the FTS index alone decides


def compile_query(query: Query, conn: sqlite3.Connection) -> Compiled:
    clauses: list[str] = []
    params: list[Any] = []
    positive: list[str] = []
    for term in query.terms:
        expression = _fts(conn, term) if term.text else None
        if expression == "":  # a short term no message holds
            clauses.append("1" if term.negated else "0")
        elif expression is not None and not term.negated:
            positive.append(expression)
        elif expression is not None:
            clauses.append("m.seq NOT IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            params.append(expression)
        else:
            sql, values = _scan(term) if term.text else _condition(term)
            clauses.append(f"NOT ({sql})" if term.negated else sql)
            params.extend(values)
    source, order = "messages m", "m.seq DESC"
    if positive:
        source, order = "fts JOIN messages m ON m.seq = fts.rowid", "fts.rowid DESC"
        clauses.insert(0, "fts MATCH ?")
        params.insert(0, " AND ".join(positive))
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
