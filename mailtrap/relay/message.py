"""What goes to the relay: the captured bytes with only the header fields the options change,
and the recipients the options allow.

The header block is edited as bytes, field by field, so everything else (the body, the order
and folding of the other fields, their line endings) leaves exactly as it was captured. The
changes, as Mailpit makes them: Bcc is dropped (a Bcc field would show the hidden recipients to
everyone); Return-Path is set to `return_path`; From's address becomes `override_from`, the old
field kept as X-Original-From; and Message-ID is new unless `preserve_message_ids`. Unlike
Mailpit, Date is left alone: only what an option names changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formataddr, getaddresses, parseaddr

from mailtrap.relay.config import RelayConfig
from mailtrap.storage.base import StoredMessage, new_id

__all__ = ["Prepared", "RecipientError", "check_recipients", "prepare"]

_ADDRESS = re.compile(r"[^\s<>@,;\"]+@[^\s<>@,;\"]+")
_LINES = re.compile(rb"(?<=\n)")
_NAME = re.compile(rb"([!-9;-~]+)[ \t]*:")
MAX_RECIPIENTS = 100  # a release is a person's choice of a few addresses, not a list


class RecipientError(ValueError):
    """A recipient that cannot be released to; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """The envelope sender and the bytes to send."""

    sender: str
    raw: bytes


def check_recipients(config: RelayConfig, recipients: Iterable[str]) -> list[str]:
    """The bare addresses of `recipients` (each `addr@host` or `Name <addr@host>`).

    Raises RecipientError naming every address that is not one, is outside the allowed regex
    or on the blocked one, or when there are none or more than MAX_RECIPIENTS."""
    given = list(recipients)
    if not given:
        raise RecipientError('no recipients: give at least one address, e.g. {"To": ["a@b.c"]}')
    if len(given) > MAX_RECIPIENTS:
        raise RecipientError(f"{len(given)} recipients; release to at most {MAX_RECIPIENTS}")
    addresses: list[str] = []
    for text in given:
        address = "" if "\n" in text or "\r" in text else parseaddr(text)[1]
        if not _ADDRESS.fullmatch(address):
            raise RecipientError(f"{text!r} is not an email address; give e.g. ann@example.com")
        addresses.append(address)
    refused = [a for a in addresses if config.allowed_recipients and not _search(config, a, True)]
    if refused:
        raise RecipientError(
            f"{', '.join(refused)} {_do(refused)} not match the allowed recipients "
            f"({config.allowed_recipients!r}); release to addresses it matches"
        )
    blocked = [a for a in addresses if config.blocked_recipients and _search(config, a, False)]
    if blocked:
        raise RecipientError(
            f"{', '.join(blocked)} {_is(blocked)} blocked by the blocked recipients "
            f"({config.blocked_recipients!r}); release to other addresses"
        )
    return addresses


def _search(config: RelayConfig, address: str, allowed: bool) -> bool:
    pattern = config.allowed_recipients if allowed else config.blocked_recipients
    return re.search(pattern, address) is not None


def _do(items: list[str]) -> str:
    return "does" if len(items) == 1 else "do"


def _is(items: list[str]) -> str:
    return "is" if len(items) == 1 else "are"


def prepare(stored: StoredMessage, config: RelayConfig) -> Prepared:
    """The bytes and envelope sender for relaying `stored` under `config`.

    The sender is `override_from`, else `return_path`, else the Sender or From address, else
    the captured envelope sender. Never raises for malformed mail: a header that cannot be
    read is left as it is."""
    raw = stored.raw
    fields, rest, eol = _split(raw)
    sender = _first_address(fields, b"sender") or _first_address(fields, b"from")
    sender = sender or stored.envelope.mail_from
    fields = [f for f in fields if _name(f) != b"bcc"]
    if config.return_path:
        fields = [f for f in fields if _name(f) != b"return-path"]
        fields.insert(0, b"Return-Path: <" + config.return_path.encode() + b">" + eol)
        sender = config.return_path
    if not config.preserve_message_ids:
        value = f"<{new_id()}@mailtrap>".encode()
        fields = _replace(fields, b"message-id", b"Message-ID: " + value + eol)
    if config.override_from:
        fields = _override_from(fields, config.override_from, eol)
        sender = config.override_from
    return Prepared(sender=sender, raw=b"".join(fields) + rest)


def _split(raw: bytes) -> tuple[list[bytes], bytes, bytes]:
    """(the header fields, each with its folded lines and line ends; everything from the
    blank line on; the message's line end)."""
    fields: list[bytes] = []
    at = 0
    for line in _LINES.split(raw):
        if not line:
            continue
        if line in (b"\r\n", b"\n") or (not fields and line[:1] in b" \t"):
            break
        if line[:1] in b" \t":
            fields[-1] += line
        elif _NAME.match(line):
            fields.append(line)
        else:
            break  # no field: the body begins without a blank line
        at += len(line)
    first = fields[0] if fields else raw
    eol = b"\r\n" if first.split(b"\n", 1)[0].endswith(b"\r") or b"\n" not in first else b"\n"
    return fields, raw[at:], eol


def _name(field: bytes) -> bytes:
    match = _NAME.match(field)
    return match.group(1).lower() if match else b""


def _value(field: bytes) -> str:
    text = field.split(b":", 1)[1].decode("utf-8", "replace")
    return re.sub(r"\r?\n(?=[ \t])", "", text).strip()


def _first_address(fields: list[bytes], name: bytes) -> str:
    for field in fields:
        if _name(field) == name:
            found = [a for _, a in getaddresses([_value(field)]) if _ADDRESS.fullmatch(a)]
            return found[0] if found else ""
    return ""


def _replace(fields: list[bytes], name: bytes, new: bytes) -> list[bytes]:
    """`fields` with the first `name` field replaced by `new` (the others dropped), or `new`
    added at the end."""
    out: list[bytes] = []
    for field in fields:
        if _name(field) != name:
            out.append(field)
        elif new:
            out.append(new)
            new = b""
    return [*out, new] if new else out


def _override_from(fields: list[bytes], address: str, eol: bytes) -> list[bytes]:
    for field in fields:
        if _name(field) == b"from":
            original = _value(field)
            pairs = getaddresses([original])
            name = pairs[0][0] if pairs and _ADDRESS.fullmatch(pairs[0][1]) else ""
            new = f"From: {formataddr((name, address))}".encode() + eol
            fields = _replace(fields, b"from", new)
            at = fields.index(new) + 1
            fields.insert(at, b"X-Original-From: " + field.split(b":", 1)[1].lstrip(b" "))
            return fields
    return [*fields, f"From: {address}".encode() + eol]
