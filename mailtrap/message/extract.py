"""Pulling what tests look for out of a message: links, one-time codes and attachments.

Links come from the HTML's `href`s (entities decoded by the HTML parser) and from URLs in the
text body, in order, each once. Codes are OTP-like tokens: 4 to 8 digits standing alone (not
part of a date, time, phone number or longer number), or 6 to 10 upper-case letters and
digits with at least one of each.

How a pattern picks one, everywhere here: a `str` is a plain substring (case counts), never a
regex; a compiled `re.Pattern` is searched (`pattern.search`). A str that only a regex would
find fails with a note saying so, and what `re.compile` of it would have found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html.parser import HTMLParser

from mailtrap.errors import MailtrapError
from mailtrap.message.htmltext import html_to_text

__all__ = ["ExtractionError", "Pattern", "anchors", "codes", "links", "only"]

Pattern = str | re.Pattern[str] | None

_URL = re.compile(r"""https?://[^\s<>"'`]+""")
_TRAILING = ".,;:!?)]}'\""
# Not inside a date, time, decimal, or a number written in groups ("+1 555 0100").
_DIGITS = re.compile(r"(?<![\w/:.+-])(?<!\d )\d{4,8}(?![\w/:+-]|[.,]\d| \d)")
_MIXED = re.compile(r"(?<![\w-])(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6,10}(?![\w-])")
_REGEX_SIGNS = set("\\[](){}*+?^$|")


class ExtractionError(MailtrapError, AssertionError):
    """`link()`, `code()` or `attachment()` found no candidate, or several. An AssertionError,
    so pytest shows it as a test failure with the candidates listed."""


class _Anchors(HTMLParser):
    """Each link's href and visible text (an image's alt text counts, as a reader sees it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "img" and self._href is not None:
            self._text.append(f" {attributes.get('alt') or ''} ")
        href = (attributes.get("href") or "").strip()
        if tag == "area" and href:
            self.found.append((href, attributes.get("alt") or ""))
        elif tag == "a":
            self._finish()  # an unclosed <a> ends where the next one starts
            self._href, self._text = href, []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._finish()

    def _finish(self) -> None:
        if self._href:
            self.found.append((self._href, " ".join("".join(self._text).split())))
        self._href = None


def anchors(html: str) -> list[tuple[str, str]]:
    """(href, visible text) of each HTML link, in order; whitespace in the text collapsed."""
    parser = _Anchors()
    try:
        parser.feed(html)
        parser.close()
        parser._finish()
    except Exception:  # HTMLParser is lenient; a broken document keeps what it had found
        pass
    return parser.found


def links(text: str, html: str) -> list[str]:
    """Every link in the HTML (hrefs) and the text body (http/https URLs), each once."""
    from_text = [m.group(0).rstrip(_TRAILING) for m in _URL.finditer(text)]
    return list(dict.fromkeys([*(href for href, _ in anchors(html)), *from_text]))


def codes(text: str, html: str) -> list[str]:
    """OTP-like tokens in the text body (or the HTML's visible text), each once, in order."""
    body = text or html_to_text(html)
    found = [(m.start(), m.group(0)) for m in _DIGITS.finditer(body)]
    found += [(m.start(), m.group(0)) for m in _MIXED.finditer(body)]
    return list(dict.fromkeys(token for _, token in sorted(found)))


def found_in(pattern: str | re.Pattern[str], value: str) -> bool:
    """The rule: a str is a substring of `value`, a compiled pattern is searched in it."""
    if isinstance(pattern, re.Pattern):
        return pattern.search(value) is not None
    return pattern in value


def describe(pattern: str | re.Pattern[str]) -> str:
    """How a failure names a pattern, saying which rule applied."""
    if isinstance(pattern, re.Pattern):
        return f"matching re.compile({_literal(pattern.pattern)})"
    return f"containing {pattern!r}"


def _literal(source: str) -> str:
    """`source` as a Python literal, raw where that reads better (r'\\b\\d{6}')."""
    if "\\" in source and "'" not in source and not source.endswith("\\"):
        return f"r'{source}'"
    return repr(source)


def only(
    kind: str,
    candidates: Sequence[str],
    pattern: Pattern,
    *,
    wanted: str = "",
    keep: Callable[[str], bool] | None = None,
    label: Callable[[str], str] = str,
) -> str:
    """The one candidate containing (str) or matching (regex) `pattern`, and kept by `keep`;
    ExtractionError, listing each candidate as `label` gives it, if not exactly one.
    `wanted` describes `keep` for the failure."""
    __tracebackhide__ = True  # pytest shows the caller's line, not this one
    matching = [
        c
        for c in candidates
        if (pattern is None or found_in(pattern, c)) and (keep is None or keep(c))
    ]
    if len(matching) == 1:
        return matching[0]
    terms = [describe(pattern)] if pattern is not None else []
    terms += [wanted] if wanted else []
    listing = "".join(f"\n  - {label(c)}" for c in candidates) or " (none)"
    lines = [
        f"expected exactly one {kind}{''.join(' ' + t for t in terms)}, "
        f"found {len(matching) or 'none'}; the message has these {kind}s:{listing}"
    ]
    if len(matching) > 1:
        lines.append("pass a pattern to pick one")
    elif isinstance(pattern, str):
        lines += _regex_note(pattern, candidates)
    raise ExtractionError("\n".join(lines))


def _regex_note(pattern: str, candidates: Sequence[str]) -> list[str]:
    """A note for a str that reads as a regex: it was taken as a plain substring."""
    try:
        as_regex = [c for c in candidates if re.search(pattern, c)]
    except re.error:
        as_regex = []
    if not as_regex and not _REGEX_SIGNS.intersection(pattern):
        return []
    note = "a str is a plain substring, not a regex; for a regex pass "
    note += f"re.compile({_literal(pattern)})"
    if as_regex:
        found = ", ".join(repr(c) for c in as_regex[:3]) + (", ..." if len(as_regex) > 3 else "")
        note += f", which finds {found}"
    return [note]
