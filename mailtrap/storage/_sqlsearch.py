"""Compile a parsed search `Query` to an SQL WHERE clause over `messages m`.

Text terms are substrings of the folded text that the FTS5 table stores, and indexes with the
trigram tokenizer without positions (`detail=none`: positions would triple the cost of indexing
each message). The index finds candidates, the rows holding every trigram of a term (or, for a
one- or two-character term, any trigram that starts with it, from the index's vocabulary
`fts_terms`; the text ends in `searchtext.PAD`, so every character starts one); `instr()` on
the stored text then keeps the rows that hold the term itself, in the columns it searches. A
free-text term of three characters or fewer is its trigrams: the index alone decides.

The stored text is read from the FTS table's own content table, `fts_content` (`id` the rowid,
`c0`... the columns in order: SQLite's file format fixes that layout), joined by rowid: through
the FTS table, each row's text costs a lookup of its own, two to three times slower.

The positive text terms make one MATCH expression (one index lookup); each negative one is its
own `NOT IN`, since FTS5's NOT needs a positive left-hand side. Compiling reads the vocabulary,
so it happens inside the caller's read transaction. The semantics mirror `MemoryStore`'s
evaluator term for term. `search_counts` counts a compiled query's matches.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from mailtrap.message.search import Query, Term
from mailtrap.message.searchtext import COLUMNS
from mailtrap.storage._sqlcommon import Dialect, field_condition

__all__ = ["DIALECT", "Compiled", "compile_query", "search_counts"]


# SQLite's SQL, for what both SQL stores share (`_sqlcommon`). `username` is stored as given
# (NULL for none): the parsed term is casefolded, NOCASE folds the stored name's ASCII letters.
DIALECT = Dialect("?", "coalesce(m.username, '') = ? COLLATE NOCASE")

# The trigram tokenizer indexes three characters at a time (Unicode code points, as Python's
# len counts them).
TRIGRAM = 3
# A long term is looked up by at most this many of its trigrams, spread over it: each one more
# narrows the candidates less than it costs to read, and `instr` checks the rest.
MAX_TRIGRAMS = 6
# A short term that starts more trigrams than this (a single common letter) is looked for in
# the stored text of every row instead: an OR of thousands of trigrams reads the whole index.
MAX_EXPANSION = 2000
_CONTENT = {c.name: f"c{i}" for i, c in enumerate(COLUMNS)}  # column -> its fts_content column
# Free text is checked in the body first: most text is there, and a broad term then costs one
# instr() a row rather than one per column (a third of the time of a search for it).
_ALL = ("body", *(c.name for c in COLUMNS if c.name != "body"))
_LAST = "\U0010ffff"  # sorts after every character, as UTF-8 bytes compare


def _quoted(trigrams: list[str]) -> list[str]:
    # Folded text holds no '"' (punctuation folds to spaces), so quoting it is safe.
    return [f'"{t}"' for t in trigrams]


def _lookup(conn: sqlite3.Connection, term: Term) -> str | None:
    """The FTS5 expression that finds a text term's candidates; "" if no message can hold
    it, None if the index cannot narrow it down (see `MAX_EXPANSION`)."""
    text = term.text
    if len(text) >= TRIGRAM:
        starts = range(0, len(text) - TRIGRAM + 1, TRIGRAM)
        picked = list(dict.fromkeys(text[i : i + TRIGRAM] for i in starts))
        if len(picked) > MAX_TRIGRAMS:
            step = len(picked) / MAX_TRIGRAMS
            picked = [picked[int(i * step)] for i in range(MAX_TRIGRAMS)]
        picked.append(text[-TRIGRAM:])  # the end, which the steps may not reach
        return " AND ".join(_quoted(list(dict.fromkeys(picked))))
    trigrams = [
        t
        for (t,) in conn.execute(
            "SELECT term FROM fts_terms WHERE term >= ? AND term < ? LIMIT ?",
            (text, text + _LAST, MAX_EXPANSION + 1),
        )
        if t.startswith(text)
    ]
    if len(trigrams) > MAX_EXPANSION:
        return None
    return " OR ".join(_quoted(trigrams))


def _holds(term: Term, table: str) -> tuple[str, list[Any]]:
    """Whether the row of `fts_content` named `table` holds the term where it is searched."""
    columns = term.columns or _ALL
    found = " OR ".join(f"instr({table}.{_CONTENT[c]}, ?)" for c in columns)
    return f"({found})", [term.text] * len(columns)


def _exact(term: Term) -> tuple[str, list[Any]] | None:
    """`_holds` for a candidate row, `c`; None if the index lookup already proves it (free
    text of at most one trigram)."""
    if term.columns is None and len(term.text) <= TRIGRAM:
        return None
    return _holds(term, "c")


def _scan(term: Term) -> tuple[str, list[Any]]:
    """`instr` over the stored text of the message: no index."""
    found, params = _holds(term, "s")
    return f"EXISTS (SELECT 1 FROM fts_content s WHERE s.id = m.seq AND {found})", params


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
    # Only positive text terms: `index` (the FTS table, and its content if the terms need
    # checking) alone decides, without `messages`.
    fts_only: bool = False
    index: str = "fts"


_CHECKED = "fts JOIN fts_content c ON c.id = fts.rowid"


@dataclass(slots=True)
class _Builder:
    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)  # positive terms' FTS expressions
    checks: list[tuple[str, list[Any]]] = field(default_factory=list)  # theirs, on `c`
    content: bool = False  # a clause reads the candidates' stored text, `c`

    def add(self, sql: str, params: list[Any], *, negated: bool = False) -> None:
        self.clauses.append(f"NOT ({sql})" if negated else sql)
        self.params.extend(params)

    def positive(self, conn: sqlite3.Connection, term: Term) -> None:
        lookup = _lookup(conn, term)
        if lookup is None:
            self.add(*_scan(term))
        elif not lookup:  # a short term no message holds
            self.add("0", [])
        else:
            self.lookups.append(f"({lookup})")
            if (exact := _exact(term)) is not None:
                self.checks.append(exact)

    def negative(self, conn: sqlite3.Connection, term: Term) -> None:
        if self.lookups:  # each candidate comes with its stored text: check it there
            self.content = True
            self.add(*_holds(term, "c"), negated=True)
        elif (lookup := _lookup(conn, term)) is None:
            self.add(*_scan(term), negated=True)
        elif not lookup:
            return  # no message holds it: excluding it excludes nothing
        elif (exact := _exact(term)) is None:
            self.add("m.seq IN (SELECT rowid FROM fts WHERE fts MATCH ?)", [lookup], negated=True)
        else:
            sql = f"m.seq IN (SELECT id FROM {_CHECKED} WHERE fts MATCH ? AND {exact[0]})"
            self.add(sql, [lookup, *exact[1]], negated=True)


def compile_query(query: Query, conn: sqlite3.Connection) -> Compiled:
    b = _Builder()
    for term in query.terms:
        if not term.text:
            b.add(*field_condition(term, DIALECT), negated=term.negated)
        elif not term.negated:
            b.positive(conn, term)
    for term in query.terms:  # after the positive ones, which decide how to check these
        if term.text and term.negated:
            b.negative(conn, term)
    if not b.lookups:
        return Compiled("messages m", " AND ".join(b.clauses) or "1", b.params, "m.seq DESC")
    where = ["fts MATCH ?", *(sql for sql, _ in b.checks), *b.clauses]
    params = [" AND ".join(b.lookups), *(p for _, ps in b.checks for p in ps), *b.params]
    index = _CHECKED if b.checks or b.content else "fts"
    source = f"{index} JOIN messages m ON m.seq = fts.rowid"
    return Compiled(source, " AND ".join(where), params, "fts.rowid DESC", not b.clauses, index)


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
    total = conn.execute(f"SELECT count(*) FROM {q.index} WHERE {q.where}", q.params).fetchone()[0]
    (opened,) = conn.execute("SELECT total - unread FROM counters").fetchone()
    if not opened:
        return total, total
    read = conn.execute(
        "SELECT count(*) FROM messages WHERE read = 1 "
        f"AND seq IN (SELECT fts.rowid FROM {q.index} WHERE {q.where})",
        q.params,
    ).fetchone()[0]
    return total, total - read
