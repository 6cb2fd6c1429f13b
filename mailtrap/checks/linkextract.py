"""The links a link check tests: those of a message's HTML, then of its text, as Mailpit finds
them (its `internal/linkcheck`), each URL once, at most `MAX_LINKS`.

From the HTML (parsed by Lexbor, as a browser would, so entities such as `&amp;` are decoded):
every `a[href]`, then every `link[rel=stylesheet][href]`, then every `img[src]` whose value is
an http(s) URL. From the text: bare `http(s)://` URLs, then URLs in angle brackets, which may
hold spaces (RFC 2396, appendix E), with their line breaks removed. Other schemes (`mailto:`,
`cid:`, relative paths) are no links to check.

CPU work (an HTML parse, regexes over the text): callers run it off the event loop. Bounded by
the message size and by stopping once `MAX_LINKS` are found.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

__all__ = ["MAX_LINKS", "MAX_URL_CHARS", "extract_links"]

MAX_LINKS = 100  # as Mailpit: the first 100 distinct URLs are checked, the rest are not
MAX_URL_CHARS = 8192  # longer bracketed URLs are no links (browsers and servers cap near here)
_URL_CHARS = r"[-\w@:%_+'!.~#?,&/=;]"
_HTTP_URL = re.compile(r"https?://", re.IGNORECASE)
# A URL right after "<" is left to the bracket form, which keeps its spaces.
_TEXT_URL = re.compile(rf"(?<!<)\b(https?://{_URL_CHARS}+)", re.IGNORECASE)
# Never across another "<", and bounded: "[^>]+" alone rescans to the end of the text from each
# "<http://" that is never closed, quadratic time (a 2 MB text of them took minutes).
_BRACKET_URL = re.compile(rf"<(https?://{_URL_CHARS}[^<>]{{0,{MAX_URL_CHARS}}})>", re.IGNORECASE)
_HTML_SOURCES = (("a[href]", "href"), ('link[rel="stylesheet"]', "href"), ("img[src]", "src"))


class _Found:
    """Distinct URLs in the order first seen, at most `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.urls: dict[str, None] = {}

    @property
    def full(self) -> bool:
        return len(self.urls) >= self.limit

    def add(self, url: str) -> bool:
        """Keep `url` if new; False once full (the caller stops looking)."""
        if not self.full:
            self.urls.setdefault(url, None)
        return not self.full


def extract_links(html: str, text: str, *, limit: int = MAX_LINKS) -> list[str]:
    """The distinct http(s) URLs of `html`, then of `text`, in order, at most `limit`."""
    found = _Found(limit)
    if html.strip():
        _from_html(html, found)
    if text and not found.full:
        _from_text(text, found)
    return list(found.urls)


def _from_html(html: str, found: _Found) -> None:
    tree = LexborHTMLParser(html, scripting=False)
    for selector, attribute in _HTML_SOURCES:
        for node in tree.css(selector):
            value = (node.attributes.get(attribute) or "").strip()
            if _HTTP_URL.match(value) and not found.add(value):
                return


def _from_text(text: str, found: _Found) -> None:
    for pattern, clean in ((_TEXT_URL, False), (_BRACKET_URL, True)):
        for match in pattern.finditer(text):
            url = match.group(1).replace("\r", "").replace("\n", "") if clean else match.group(1)
            if not found.add(url):
                return
