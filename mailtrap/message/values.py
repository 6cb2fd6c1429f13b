"""Header field values, decoded: unstructured text, address lists and dates.

`policy.default` parses every header through its header registry, which costs most of a
millisecond per message. Each value here takes one of two paths:

- a shortcut for the common plain-ASCII value, giving exactly what the registry would give
  (tests/test_headers.py holds the two to the same answers over the .eml corpus);
- otherwise the registry itself (`policy.default.header_factory`), so encoded words, comments,
  groups and broken syntax get the stdlib's full treatment.

The registry is slow on hostile input: 100 KB of `From: a,a,a,...` took 9 s, 44 KB of unclosed
encoded words 1.3 s, and 5,000 `(` exhaust the recursion limit. So it only sees values of up to
`REGISTRY_LIMIT` characters, and each message has a `Budget`: longer values take linear paths
(the compat address parser, encoded words decoded a chunk at a time), and once a message has
spent its budget the rest of its values are shown as written, with a defect.
"""

from __future__ import annotations

import functools
import inspect
import re
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime
from typing import TypeVar

from mailtrap.message.headers import clean
from mailtrap.message.models import Address

__all__ = [
    "ATEXT",
    "MAX_ADDRESSES",
    "MAX_VALUE",
    "Budget",
    "address_value",
    "date_value",
    "display_value",
    "text_value",
]

_FACTORY = policy.default.header_factory

# A plain address list: `a@b`, `Name <a@b>`, `"Last, First" <a@b>`, comma separated. Such a
# list needs no comment, group, route or quoted-pair handling, so the stdlib's compat parser
# reads it exactly as the registry does; anything else goes to the registry.
# RFC 5322 atext: what an unquoted local part or word is made of.
ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_ADDR = rf"{ATEXT}+(?:\.{ATEXT}+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_PHRASE = rf'(?:"[^"\\]*"|(?:{ATEXT}|\.)+(?: +(?:{ATEXT}|\.)+)*)'
_MAILBOX = rf"\s*(?:{_ADDR}|(?:{_PHRASE}\s*)?<{_ADDR}>)\s*"
_PLAIN_LIST = re.compile(rf"{_MAILBOX}(?:,{_MAILBOX})*")
_MAILBOX_PARTS = re.compile(
    rf"\s*(?:(?P<bare>{_ADDR})|(?:(?P<name>{_PHRASE})\s*)?<(?P<addr>{_ADDR})>)"
)


# Measured worst cases on crafted input, per character: the registry ~35 us, the compat address
# parser ~3 us, decode_header on a 1 KiB chunk ~1 us. The limits keep one message's header
# decoding to a few hundred milliseconds at worst, off the event loop (see smtp.py).
REGISTRY_LIMIT = 2 * 1024  # the longest value the registry sees whole
MAX_VALUE = 64 * 1024  # the longest value decoded at all; the rest of it is not shown
MAX_ADDRESSES = 1000  # per field; RFC 5321 servers must take 100 recipients, we take 1,000
_CHUNK = 1024  # long unstructured values are decoded this much at a time, cut at a blank
_ENDS_ENCODED = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=\s*\Z")
_STARTS_ENCODED = re.compile(r"\s*=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


class Budget:
    """How much more of one message's header text may take the slow paths (in characters).

    `registry` is for the header registry, `linear` for the compat address parser and chunked
    decoding. Spending past either shows the value as written, once with a defect.
    """

    __slots__ = ("linear", "registry", "spent")

    def __init__(self, registry: int = 4 * 1024, linear: int = 256 * 1024) -> None:
        self.registry = registry
        self.linear = linear
        self.spent = False

    def take(self, kind: str, size: int, defects: list[str]) -> bool:
        """Spend `size` characters of `kind` ("registry" or "linear") if that many are left."""
        left: int = getattr(self, kind)
        if size <= left:
            setattr(self, kind, left - size)
            return True
        if not self.spent:
            self.spent = True
            defects.append("header fields too large to decode in full; some are shown as written")
        return False


def _unfold(value: str) -> str:
    return "".join(value.splitlines())


def _bounded(name: str, value: str, defects: list[str]) -> str:
    if len(value) <= MAX_VALUE:
        return value
    defects.append(f"{name} header longer than {MAX_VALUE} characters; the rest is not shown")
    return value[:MAX_VALUE]


def text_value(name: str, value: str, defects: list[str], budget: Budget | None = None) -> str:
    """The decoded text of an unstructured field such as Subject."""
    if value.isascii() and "=?" not in value:
        return _unfold(value)
    budget = budget or Budget()
    unfolded = _bounded(name, _unfold(value), defects)
    if len(unfolded) <= REGISTRY_LIMIT and budget.take("registry", len(unfolded), defects):
        try:
            return clean(str(_FACTORY(name, unfolded)))
        except Exception as exc:  # the registry has bugs on hostile input
            defects.append(f"{name} header could not be decoded ({exc.__class__.__name__})")
    elif budget.take("linear", len(unfolded), defects):
        return _decode_chunks(name, unfolded, defects)
    return " ".join(clean(unfolded).split())


def display_value(name: str, value: str, defects: list[str], budget: Budget) -> str:
    """`value` (unfolded) decoded for display as `policy.default` shows it, or, past the limits,
    with its encoded words decoded (or, past the budget, as written)."""
    unfolded = _bounded(name, value, defects)
    if len(unfolded) <= REGISTRY_LIMIT and budget.take("registry", len(unfolded), defects):
        try:
            return clean(str(_FACTORY(name, unfolded)))
        except Exception as exc:  # the registry has bugs on hostile input
            defects.append(f"{name} header could not be decoded ({exc.__class__.__name__})")
            return clean(unfolded)
    if budget.take("linear", len(unfolded), defects):
        return _decode_chunks(name, unfolded, defects)
    return clean(unfolded)


def _decode_chunks(name: str, text: str, defects: list[str]) -> str:
    """Encoded words decoded a chunk at a time: linear where one call is quadratic. Chunks end
    at a blank, and encoded words contain none, so none is cut in two; the blank between two
    encoded words is dropped, as RFC 2047 6.2 says, also where a chunk ends."""
    out, pos, previous = "", 0, ""
    while pos < len(text):
        cut = len(text) if len(text) - pos <= _CHUNK else text.rfind(" ", pos + 1, pos + _CHUNK)
        cut = pos + _CHUNK if cut <= pos else cut
        chunk = text[pos:cut]
        try:
            decoded = clean(str(make_header(decode_header(chunk))))
        except Exception as exc:
            defects.append(f"{name} header could not be decoded ({exc.__class__.__name__})")
            decoded = clean(chunk)
        if out and not (_ENDS_ENCODED.search(previous) and _STARTS_ENCODED.match(chunk)):
            out += " "
        out += decoded.strip()
        pos, previous = cut, chunk
    return " ".join(out.split())


def address_value(
    name: str, value: str, defects: list[str], budget: Budget | None = None
) -> list[Address]:
    """Every mailbox in one address field (at most `MAX_ADDRESSES`); groups are flattened."""
    budget = budget or Budget()
    unfolded = _bounded(name, _unfold(value), defects)
    plain = _short_cached(_plain_list, unfolded)
    if plain is not None:
        found = list(plain)
    elif len(unfolded) <= REGISTRY_LIMIT and budget.take("registry", len(unfolded), defects):
        try:
            header = _FACTORY(name, unfolded)
            found = [Address(clean(a.display_name), clean(a.addr_spec)) for a in header.addresses]
        except Exception as exc:  # fall back to the forgiving compat parser
            defects.append(f"{name} header could not be parsed ({exc.__class__.__name__})")
            found = _compat_addresses(name, unfolded, defects, budget)
    elif budget.take("linear", len(unfolded), defects):
        found = _compat_addresses(name, unfolded, defects, budget)
    else:
        found = []
    if len(found) > MAX_ADDRESSES:
        defects.append(f"more than {MAX_ADDRESSES} addresses in {name}; the rest are not shown")
        del found[MAX_ADDRESSES:]
    return found


# Python 3.11.10, 3.12.5 and 3.13 made getaddresses strict by default (CVE-2023-27043): a list
# it finds malformed comes back as [("", "")]. This fallback exists for malformed lists.
_LENIENT = {"strict": False} if "strict" in inspect.signature(getaddresses).parameters else {}


def _compat_addresses(name: str, value: str, defects: list[str], budget: Budget) -> list[Address]:
    try:
        pairs = getaddresses([value], **_LENIENT)
    except RecursionError:  # nested comments: the compat parser recurses too
        defects.append(f"{name} header nests too deeply to parse; shown as written")
        return []
    return [
        Address(text_value(name, n, defects, budget) if "=?" in n else clean(n), clean(a))
        for n, a in pairs
        if n or a
    ]


# Mail from one application repeats its From, To and Date values, and parsing them is a good
# part of the ingest hot path; these caches hold the answers for short values (so at most a
# few hundred KiB), which are pure functions of the text.
_CACHED_VALUE = 256
_T = TypeVar("_T")
_CACHE_SIZE = 1024


def _short_cached(parse: functools._lru_cache_wrapper[_T], text: str) -> _T:
    """`parse(text)`, through its cache only for a short `text`: a long one is rarely repeated
    and would crowd out the values that are."""
    return parse(text) if len(text) <= _CACHED_VALUE else parse.__wrapped__(text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _plain_list(unfolded: str) -> tuple[Address, ...] | None:
    """The mailboxes of a plain address list (see `_PLAIN_LIST`); None if it is not one."""
    if unfolded.isascii() and "=?" not in unfolded and _PLAIN_LIST.fullmatch(unfolded):
        return tuple(_plain_mailbox(m) for m in _MAILBOX_PARTS.finditer(unfolded))
    return None


def _plain_mailbox(m: re.Match[str]) -> Address:
    if m.group("bare"):
        return Address("", m.group("bare"))
    name = m.group("name") or ""
    name = name[1:-1] if name.startswith('"') else " ".join(name.split())
    return Address(name, m.group("addr"))


def date_value(value: str, defects: list[str]) -> datetime | None:
    """The Date field as an aware datetime, or None (with a defect) when it does not parse."""
    text = _unfold(value).strip()
    parsed = _short_cached(_date, text)
    if parsed is None:
        defects.append(f"Date header is not a valid date: {text[:80]!r}")
    return parsed


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _date(text: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # RFC 5322 "-0000": time zone unknown; UTC is the least wrong
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
