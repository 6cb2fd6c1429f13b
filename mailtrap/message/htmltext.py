"""The visible text of an HTML document, in time linear in its length, for snippets and search.

This is a tokenizer, not a parser: it finds tags, comments and the raw text of `script`,
`style` and `title` the way an HTML5 tokenizer does, and keeps the rest as text. It builds no
tree, so nothing in it depends on how deeply a hostile document nests its elements.

Why not `html.parser` or a C parser: the stdlib's parser is quadratic on unfinished tags (a mail
of 100 KB of `<a x=` took 42 s), and an HTML5 tree builder (Lexbor, as in selectolax) walks the
stack of open elements for every block-level start tag, so 40,000 nested `<div>`s (200 KB) took
1.8 s and a 25 MiB message would take hours. Here every scan moves forward: a construct whose
end never comes (an unclosed comment, tag or script) ends the document, as end-of-file does in
the HTML5 tokenizer, so no position is read twice.

The text is for search and snippets, never for display: where this differs from a browser's
rendering (a `<` inside an unquoted attribute, say), the cost is a stray word in the index.
"""

from __future__ import annotations

import re
from html import unescape

__all__ = ["MAX_HTML", "html_to_text"]

# Only this much of an HTML body is read for its text. The search index keeps 512 KiB of body
# text (search.MAX_INDEXED_BODY) and a snippet needs a few hundred characters; real
# HTML mail is rarely even a quarter of this.
MAX_HTML = 1024 * 1024

# What can follow "<" to make it markup; any other "<" is text. Groups: comment, end-tag slash,
# tag name. "<!", "<?" and "</" before a non-letter open a bogus comment that ends at ">".
_MARKUP = re.compile(r"<(?:(!--)|(/?)([A-Za-z][^\t\n\f\r />]*)|[!?/])")
# The rest of a tag after its name, up to and including ">". Quotes count only after "=", as
# in an attribute value. Possessive quantifiers and disjoint alternatives: never backtracks.
_TAG_REST = re.compile(r"""(?:[^>"'=]++|=[\t\n\f\r ]*+"[^"]*+"|=[\t\n\f\r ]*+'[^']*+'|=)*+>""")
# Elements whose content is text to the tokenizer (never tags) and is not shown.
_HIDDEN = frozenset({"script", "style", "title", "iframe", "noembed", "noframes"})
# Elements that start a new line when rendered; one "\n" keeps words on either side apart.
_BREAK = frozenset(
    {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"}
)
_END_OF: dict[str, re.Pattern[str]] = {
    name: re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE) for name in _HIDDEN
}


def html_to_text(html: str) -> str:
    """The visible text of `html` (its first `MAX_HTML` characters), entities decoded.

    Never raises, and takes time linear in the length read. Line breaks stand in for
    block-level elements; whitespace is otherwise kept as written.
    """
    html = html[:MAX_HTML]
    chunks: list[str] = []
    pos, end = 0, len(html)
    while pos < end:
        found = _MARKUP.search(html, pos)
        if found is None:
            chunks.append(html[pos:])
            break
        chunks.append(html[pos : found.start()])
        comment, slash, name = found.groups()
        if comment:
            close = html.find("-->", found.end())
            if close < 0:
                break  # a comment open at the end swallows the rest
            pos = close + 3
            continue
        if name is None:  # a bogus comment: <!DOCTYPE ...>, <?xml ...?>, </ >
            close = html.find(">", found.end())
            if close < 0:
                break
            pos = close + 1
            continue
        rest = _TAG_REST.match(html, found.end())
        if rest is None:
            break  # a tag still open at the end is not text
        pos = rest.end()
        tag = name.lower()
        if tag in _BREAK and not slash:
            chunks.append("\n")
        if tag in _HIDDEN and not slash:
            closing = _END_OF[tag].search(html, pos)
            if closing is None:
                break  # raw text to the end, and none of it shown
            pos = closing.start()
    return unescape("".join(chunks))
