"""The message page's "HTML source" tab: the mail's HTML as written, tokenized for highlighting.

`GET /view/{id}/html-source` answers JSON, fetched when the tab is first shown (a large mail's
page stays small): `tokens`, a list of `[kind, text]` pairs whose texts, joined, are the HTML
(with its line ends as `\n` and without a leading byte order mark, as Pygments reads text), and
`kind` one letter of `KINDS` ("" for plain text). The page builds the view from
them with `textContent` alone, so no mail markup is ever parsed as markup in the inbox page;
the letters only pick a CSS class (`app.css`, `.hl-*`).

Pygments' HTML lexer does the work, with its CSS and JavaScript lexers inside `<style>` and
`<script>`: a tokenizer of that breadth by hand would be the larger and weaker code. It is
regex-based and costs about 1 s per MB of ordinary HTML, and crafted input is slower (100,000
`a{` in a `<style>`, 2 s), so it is bounded twice: only the first `HIGHLIGHT_CHARS` characters
are lexed, and lexing stops after `HIGHLIGHT_SECONDS`; what is left is one plain token, and
`highlighted` says how far the colours go.
"""

from __future__ import annotations

import functools
import time
from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from pygments.lexers.html import HtmlLexer
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    is_token_subtype,
)
from pygments.token import _TokenType as TokenType

from mailtrap.web.deps import NOT_FOUND, Parsed

__all__ = ["HIGHLIGHT_CHARS", "HIGHLIGHT_SECONDS", "KINDS", "SourceOut", "tokens"]

router = APIRouter(include_in_schema=False)

HIGHLIGHT_CHARS = 200_000
HIGHLIGHT_SECONDS = 0.5
# Pygments token types -> one letter each, most specific first (a doctype is a Comment.Preproc).
KINDS: tuple[tuple[TokenType, str], ...] = (
    (Comment.Preproc, "d"),
    (Comment, "c"),
    (Name.Tag, "t"),
    (Name.Attribute, "a"),
    (Name.Entity, "e"),
    (String, "s"),
    (Number, "n"),
    (Keyword, "k"),
    (Punctuation, "p"),
    (Operator, "p"),
)


def _kind(token: TokenType) -> str:
    for parent, letter in KINDS:
        if is_token_subtype(token, parent):
            return letter
    return ""


Token = Annotated[list[str], Field(min_length=2, max_length=2)]


class SourceOut(BaseModel):
    """`tokens` joined are the HTML; the first `highlighted` characters of `length` carry
    kinds, the rest is plain."""

    tokens: list[Token]
    highlighted: int
    length: int


@functools.cache
def _lexers_ready() -> None:
    """Has Pygments build the CSS and JavaScript lexers the HTML one hands `<style>` and
    `<script>` to: it compiles their patterns on first use, which on a busy machine took most
    of `HIGHLIGHT_SECONDS` and cut a short mail's colours. The bound is for the mail's cost."""
    for _ in HtmlLexer().get_tokens("<style>p{}</style><script>x</script>"):
        pass


def tokens(html: str) -> SourceOut:
    """`html` as `[kind, text]` tokens (adjacent ones of a kind merged), bounded as above."""
    _lexers_ready()
    # What Pygments does to its input anyway, done first, so the plain rest lines up with it.
    html = html.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lexer = HtmlLexer(stripnl=False, ensurenl=False)  # otherwise it adds or strips newlines
    head = html[:HIGHLIGHT_CHARS]
    out: list[list[str]] = []
    done = 0
    deadline = time.monotonic() + HIGHLIGHT_SECONDS
    for token, text in lexer.get_tokens(head):
        kind = _kind(token)
        if out and out[-1][0] == kind:
            out[-1][1] += text
        else:
            out.append([kind, text])
        done += len(text)
        if time.monotonic() > deadline:
            break
    if done < len(html):
        out.append(["", html[done:]])
    return SourceOut(tokens=out, highlighted=done, length=len(html))


@router.get("/view/{id}/html-source", responses=NOT_FOUND)
def html_source(message: Parsed, id: str) -> SourceOut:
    """The tokens of message `id`'s HTML body; 404 when it has none."""
    m = message(id)
    if not m.html:
        raise HTTPException(404, f"message {id!r} has no HTML part")
    return tokens(m.html)
