"""What mailtrap writes about an SMTP session: its `Received:` trace field's tokens, and the
peer and login its envelope records.

Pure functions of aiosmtpd's session values, no state: `DeliveryHandler` calls them once per
message (imported by name, so the hot path pays no extra lookup), `SMTPProtocol` once per
connection. `trace_token` is the one guard between what a client sends and the header mailtrap
prepends: its contract below is what keeps a client from ending, folding or forging the field.
"""

from __future__ import annotations

import re
from typing import Any

from aiosmtpd.smtp import Session

__all__ = ["peer_address", "peer_host", "session_login", "trace_token"]

# RFC 5321 4.5.3.1.2-3: a domain has at most 255 octets, a path 256. Longer input is cut, so
# the field stays within RFC 5322's 998-octet line; the envelope keeps the full value.
_TRACE_TOKEN_MAX = 256
# One run of printable ASCII that cannot end a token, open a comment or quoted string, or start
# the date (";"): the shape of every EHLO name and address a real client sends.
_PLAIN_TOKEN = re.compile(rf"[!#-'*-:=?-\[\]-~]{{1,{_TRACE_TOKEN_MAX}}}\Z")
_SYNTAX = frozenset(' "();<>\\')


def trace_token(value: str) -> str:
    """`value`, safe to write as one token of a `Received:` field.

    Every character that could end or fold the line or mislead a parser of the field becomes
    "?": controls (CR, LF, TAB, NUL, DEL, C1), any whitespace, Unicode line and paragraph
    separators, format characters (bidi overrides), surrogate escapes of undecodable bytes,
    and the field's own syntax (quotes, parentheses, angle brackets, ";", backslash). Printable
    UTF-8 (SMTPUTF8 names) is kept. At most 256 characters are kept, then "...".
    """
    if _PLAIN_TOKEN.match(value):
        return value  # the common case, checked in one regex pass
    cut = value[:_TRACE_TOKEN_MAX]
    # str.isprintable() is False exactly for Unicode's "Other" and "Separator" categories
    # (space aside), which covers controls, separators, format characters and surrogates.
    safe = "".join(c if c.isprintable() and c not in _SYNTAX else "?" for c in cut)
    return safe + ("..." if len(value) > _TRACE_TOKEN_MAX else "")


def peer_address(peer: Any) -> str:
    """An aiosmtpd peer as the envelope records it: "host:port" for a (host, port) tuple, else
    its text ("" for None)."""
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer or "")


def peer_host(peer: Any) -> str:
    """The host part of an aiosmtpd peer (a (host, port) tuple or anything else)."""
    return peer_address(peer).rsplit(":", 1)[0]


def session_login(session: Session) -> str | None:
    """The name an authenticated session logged in with (bytes decoded as UTF-8, bad bytes
    replaced), or None when it did not authenticate."""
    if not session.authenticated:
        return None
    login = getattr(session.auth_data, "login", None)
    if isinstance(login, bytes):
        return login.decode("utf-8", "replace")
    return None if login is None else str(login)
