"""The filters `Mailbox.wait_for` and `assert_no_message` take, and how a failure reads.

`ruled_out` decides on a summary, so a mailbox parses only what it cannot rule out; `matches`
decides on the parsed message, and has the last word.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mailtrap.message.models import Message, MessageSummary

__all__ = ["Predicate", "Subject", "describe", "matches", "ruled_out", "table"]

Subject = str | re.Pattern[str] | None
Predicate = Callable[[Message], bool] | None


def matches(
    m: Message,
    to: str | None = None,
    sender: str | None = None,
    subject: Subject = None,
    match: Predicate = None,
) -> bool:
    if to is not None:
        rcpts = {a.address.lower() for a in (*m.to, *m.cc, *m.bcc)}
        rcpts.update(r.lower() for r in m.envelope.rcpt_tos)
        if to.lower() not in rcpts:
            return False
    if sender is not None:
        senders = {m.envelope.mail_from.lower()} | (
            {m.sender.address.lower()} if m.sender else set()
        )
        if sender.lower() not in senders:
            return False
    if isinstance(subject, re.Pattern):
        if not subject.search(m.subject):
            return False
    elif subject is not None and subject not in m.subject:
        return False
    return match is None or bool(match(m))


def ruled_out(s: MessageSummary, to: Any, sender: Any, subject: Subject) -> bool:
    """True when the summary alone shows that `matches` would refuse the message.

    Exact for `to` (the summary's Bcc holds every envelope recipient no header names) and
    `subject`. For `sender` the envelope's MAIL FROM is the summary's return path, or empty
    (the return path then comes from the header), so only other values are ruled out.
    """
    if to is not None and to.lower() not in {a.address.lower() for a in (*s.to, *s.cc, *s.bcc)}:
        return True
    if sender is not None:
        possible = {s.return_path.lower(), ""} | ({s.sender.address.lower()} if s.sender else set())
        if sender.lower() not in possible:
            return True
    if isinstance(subject, re.Pattern):
        return not subject.search(s.subject)
    return subject is not None and subject not in s.subject


def describe(
    count: int, to: Any = None, sender: Any = None, subject: Any = None, match: Any = None
) -> str:
    parts = []
    if to is not None:
        parts.append(f"to={to!r}")
    if sender is not None:
        parts.append(f"sender={sender!r}")
    if subject is not None:
        parts.append(f"subject={getattr(subject, 'pattern', subject)!r}")
    if match is not None:
        parts.append(f"match={getattr(match, '__name__', repr(match))}")
    noun = "message" if count == 1 else "messages"
    return f"{count} {noun}" + (f" ({', '.join(parts)})" if parts else "")


def table(messages: list[Message]) -> str:
    rows = [("time", "from", "to", "subject")]
    for m in messages:
        sender = m.sender.address if m.sender else m.envelope.mail_from
        to = ", ".join(a.address for a in m.to) or ", ".join(m.envelope.rcpt_tos)
        when = m.created.astimezone().strftime("%H:%M:%S.%f")[:12]
        rows.append((when, sender, to, repr(m.subject)))
    widths = [min(40, max(len(row[i]) for row in rows)) for i in range(3)]
    return "\n".join(
        "  " + "  ".join([*(row[i][:40].ljust(widths[i]) for i in range(3)), row[3]])
        for row in rows
    )
