"""How the text of one `--flag` or `MAILTRAP_*` variable becomes its typed value.

Each parser raises ValueError naming the value and the form it should take; `mailtrap.config`
prefixes the flag or variable it came from.
"""

from __future__ import annotations

import posixpath
import re
import urllib.parse

from mailtrap.smtp.chaos import Rule, parse_rule
from mailtrap.storage.postgres.url import check_schema, parse_database_url

__all__ = [
    "LOOPBACK",
    "parse_address",
    "parse_addresses",
    "parse_bool",
    "parse_count",
    "parse_database_url",
    "parse_level",
    "parse_names",
    "parse_origins",
    "parse_pairs",
    "parse_port",
    "parse_regex",
    "parse_rules",
    "parse_schema",
    "parse_seconds",
    "parse_size",
    "parse_spamd",
    "parse_url",
    "parse_webroot",
]

LOOPBACK = "127.0.0.1"
# The characters Mailpit allows in its webroot: nothing that needs quoting in a URL or HTML.
_WEBROOT_CHARS = re.compile(r"[0-9A-Za-z/_.@-]*")


def parse_address(value: str) -> tuple[str, int]:
    """`HOST:PORT`, `[IPv6]:PORT` or a bare `PORT` (on loopback) -> (host, port)."""
    text = value.strip()
    if text.isdigit():
        host, port_text = LOOPBACK, text
    elif text.startswith("["):
        host, sep, port_text = text[1:].partition("]:")
        if not sep:
            raise ValueError(f"{value!r} is not [IPv6]:PORT, e.g. [::1]:1025")
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep or ":" in host:
            raise ValueError(f"{value!r} is not HOST:PORT, e.g. 127.0.0.1:1025 (IPv6: [::1]:1025)")
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"port in {value!r} must be a number from 0 to 65535")
    return host or LOOPBACK, int(port_text)


def parse_spamd(value: str) -> tuple[str, int]:
    """Where a SpamAssassin daemon listens, as `parse_address` reads it. A function of its own
    because it is an address mailtrap connects to, not one it listens on (`mailtrap.cli`
    warns about listeners beyond loopback by their parser)."""
    return parse_address(value)


def parse_url(value: str) -> str:
    """An `http://` or `https://` URL with a host, e.g. `http://127.0.0.1:8080/hook`."""
    text = value.strip()
    try:
        parts = urllib.parse.urlsplit(text)
        port_ok = parts.port is None or parts.port > 0  # reading .port checks its syntax
    except ValueError:
        parts, port_ok = urllib.parse.urlsplit(""), False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ValueError(f"{value!r} is not an http(s) URL; use e.g. http://127.0.0.1:8080/hook")
    return text


def parse_size(value: str) -> int:
    """A byte count with an optional k/M/G suffix (binary), e.g. `25M`; 0 means unlimited."""
    text = value.strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 1024, "M": 1024**2, "G": 1024**3}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    if not number.isdigit():
        raise ValueError(f"{value!r} is not a size; use bytes or a k, M or G suffix, e.g. 25M")
    return int(number) * scale


def parse_count(value: str) -> int:
    """A whole number of 0 or more, e.g. `200`."""
    if not value.strip().isdigit():
        raise ValueError(f"{value!r} is not a whole number of 0 or more")
    return int(value)


def parse_seconds(value: str) -> float:
    """A number of seconds above 0, e.g. `300` or `0.5`."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):  # also refuses nan, which compares false
        raise ValueError(f"{value!r} is not a number of seconds above 0; use e.g. 300 or 0.5")
    return seconds


def parse_bool(value: str) -> bool:
    """1/0, true/false, yes/no or on/off, in any case; empty is false."""
    text = value.strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{value!r} is not a boolean; use 1/0, true/false, yes/no or on/off")


def parse_origins(value: str) -> tuple[str, ...]:
    """Comma-separated `http(s)://` origins, never `*`; a trailing slash is dropped."""
    origins = tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
    for origin in origins:
        if origin == "*":
            raise ValueError("'*' would let every website read and delete your mail; name origins")
        if not origin.startswith(("http://", "https://")):
            raise ValueError(f"{origin!r} is not an origin; use e.g. http://localhost:3000")
    return origins


def parse_names(value: str) -> tuple[str, ...]:
    """Comma-separated names, blanks dropped."""
    return tuple(n.strip() for n in value.split(",") if n.strip())


def parse_pairs(value: str) -> tuple[str, ...]:
    """Comma-separated `USER:PASS` pairs."""
    pairs = tuple(p.strip() for p in value.split(",") if p.strip())
    for pair in pairs:
        if ":" not in pair or pair.startswith(":"):
            raise ValueError(f"{pair!r} is not USER:PASS")
    return pairs


def parse_port(value: str) -> int:
    """A TCP port from 1 to 65535, e.g. `587`."""
    if not value.strip().isdigit() or not 0 < int(value) <= 65535:
        raise ValueError(f"{value!r} is not a port; use a number from 1 to 65535, e.g. 587")
    return int(value)


def parse_regex(value: str) -> str:
    """A regular expression (Python's `re`, which reads Mailpit's Go ones alike), e.g.
    `@example\\.com$`."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a regular expression: {exc}") from None
    return value


def parse_addresses(value: str) -> tuple[str, ...]:
    """Comma-separated email addresses, e.g. `qa@example.com,dev@example.com`."""
    addresses = tuple(a.strip() for a in value.split(",") if a.strip())
    for address in addresses:
        if not re.fullmatch(r"[^\s<>@,;\"]+@[^\s<>@,;\"]+", address):
            raise ValueError(f"{address!r} is not an email address; use e.g. qa@example.com")
    return addresses


def parse_rules(value: str) -> tuple[Rule, ...]:
    """`;`-separated chaos rules (see `mailtrap.smtp.chaos.parse_rule`)."""
    return tuple(parse_rule(part) for part in value.split(";") if part.strip())


def parse_level(value: str) -> str:
    """A log level name, lower-cased."""
    levels = ("debug", "info", "warning", "error")
    if value.strip().lower() not in levels:
        raise ValueError(f"{value!r} is not a log level; use one of {', '.join(levels)}")
    return value.strip().lower()


def parse_webroot(value: str) -> str:
    """A URL path prefix, normalized as Mailpit does: `mail`, `/mail` and `/mail/` are all
    `/mail/`; `/` (or empty) is none. Only letters, digits and `/ _ . - @` are allowed."""
    text = value.strip()
    if not _WEBROOT_CHARS.fullmatch(text):
        raise ValueError(
            f"{value!r} is not a webroot; use a path of letters, digits and / _ . - @ "
            "such as /mail/"
        )
    # As Go's path.Join("/", value): repeated slashes collapse, "." and ".." are resolved
    # (never above the root). normpath keeps a leading "//", so the slashes go first.
    root = posixpath.normpath("/" + text.strip("/"))
    return root if root == "/" else root + "/"


def parse_schema(value: str) -> str:
    """`--database-schema`: a plain PostgreSQL identifier (see `url.check_schema`)."""
    return check_schema(value.strip())
