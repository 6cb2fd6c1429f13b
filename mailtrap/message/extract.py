"""Pulling what tests look for out of a message: links and one-time codes.

Links come from the HTML's `href`s (entities decoded by the HTML parser) and from URLs in the
text body, in order, each once. Codes are OTP-like tokens: 4 to 8 digits standing alone (not
part of a date, time, phone number or longer number), or 6 to 10 upper-case letters and
digits with at least one of each.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html.parser import HTMLParser

from mailtrap.errors import MailtrapError
from mailtrap.message.htmltext import html_to_text

__all__ = ["ExtractionError", "codes", "links", "only"]

_URL = re.compile(r"""https?://[^\s<>"'`]+""")
_TRAILING = ".,;:!?)]}'\""
# Not inside a date, time, decimal, or a number written in groups ("+1 555 0100").
_DIGITS = re.compile(r"(?<![\w/:.+-])(?<!\d )\d{4,8}(?![\w/:+-]|[.,]\d| \d)")
_MIXED = re.compile(r"(?<![\w-])(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6,10}(?![\w-])")


class ExtractionError(MailtrapError, AssertionError):
    """`link()` or `code()` found no candidate, or several. An AssertionError, so pytest shows
    it as a test failure with the candidates listed."""


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("a", "area"):
            href = dict(attrs).get("href")
            if href and href.strip():
                self.found.append(href.strip())


def links(text: str, html: str) -> list[str]:
    """Every link in the HTML (hrefs) and the text body (http/https URLs), each once."""
    parser = _Hrefs()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; a broken document still yields its text links
        pass
    from_text = [m.group(0).rstrip(_TRAILING) for m in _URL.finditer(text)]
    return list(dict.fromkeys([*parser.found, *from_text]))


def codes(text: str, html: str) -> list[str]:
    """OTP-like tokens in the text body (or the HTML's visible text), each once, in order."""
    body = text or html_to_text(html)
    found = [(m.start(), m.group(0)) for m in _DIGITS.finditer(body)]
    found += [(m.start(), m.group(0)) for m in _MIXED.finditer(body)]
    return list(dict.fromkeys(token for _, token in sorted(found)))


def only(kind: str, candidates: Sequence[str], pattern: str | re.Pattern[str] | None) -> str:
    """The one candidate matching `pattern` (a substring or a regex); ExtractionError if not."""
    if pattern is None:
        matching = list(candidates)
    elif isinstance(pattern, re.Pattern):
        matching = [c for c in candidates if pattern.search(c)]
    else:
        matching = [c for c in candidates if pattern in c]
    if len(matching) == 1:
        return matching[0]
    wanted = f" matching {pattern.pattern if isinstance(pattern, re.Pattern) else pattern!r}"
    listing = "".join(f"\n  - {c}" for c in candidates) or " (none)"
    problem = "no" if not matching else f"{len(matching)}"
    return _fail(
        f"expected exactly one {kind}{wanted if pattern is not None else ''}, found {problem}; "
        f"the message has these {kind}s:{listing}"
        + ("\npass a pattern to pick one" if len(matching) > 1 else "")
    )


def _fail(message: str) -> str:
    raise ExtractionError(message)
