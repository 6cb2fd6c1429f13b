"""Ask a SpamAssassin daemon (`spamd`) what it makes of a message, over the spamc protocol.

The protocol (SpamAssassin's spamd/PROTOCOL) is a small text exchange, so it is written here.
The one maintained asyncio client, aiospamc, would bring typer (pinned below 0.17) and loguru
into every environment the pytest plugin is installed in, reads spamd's answer without a size
limit, and still leaves the report's rule table to parse; the others are synchronous or
unmaintained.

One connection per check: `REPORT SPAMC/1.5`, a `Content-length` header, a blank line, the
raw message, then the write side is closed. spamd answers `SPAMD/1.1 0 EX_OK`, headers (`Spam: True
; 1005.2 / 5.0`), a blank line and its human-readable report, whose table after "Content
analysis details" lists each rule hit: points, name, description (long descriptions wrap onto
indented lines).

Bounded three ways: the whole exchange has a deadline (`timeout`), the answer is read up to
`MAX_RESPONSE` bytes, and a message over `max_size` is not sent at all. Every failure (no
spamd, a timeout, an answer that is not spamd's) comes back as a `Report` whose `error` says
what happened, as Mailpit's `Error` field does, never as an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_RESPONSE",
    "MAX_SIZE",
    "Report",
    "Rule",
    "check",
    "parse_answer",
]

DEFAULT_TIMEOUT = 8.0  # seconds, as Mailpit's
MAX_RESPONSE = 1024 * 1024  # a REPORT is a few kB; more is not spamd
# spamc sends nothing over 500 KiB by default (SpamAssassin slows down on large mail); a
# development mail with attachments is often larger, so the limit here is higher.
MAX_SIZE = 4 * 1024 * 1024

_STATUS = re.compile(r"SPAMD/\d+\.\d+\s+(\d+)\s*(.*)")
_SPAM = re.compile(r"(true|false|yes|no)\s*;\s*(-?[\d.]+)\s*/\s*(-?[\d.]+)", re.IGNORECASE)
_RULE = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s+([A-Za-z0-9_]+)\s+(.*)")


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule the message hit: its `name`, the `score` it adds and spamd's `description`."""

    name: str
    score: float
    description: str


@dataclass(frozen=True, slots=True)
class Report:
    """spamd's verdict (`is_spam`: the score reached its required score) with the rules hit,
    or, when there is none, `error` saying why (the other fields are then empty)."""

    is_spam: bool = False
    score: float = 0.0
    rules: tuple[Rule, ...] = ()
    error: str = ""


async def check(
    raw: bytes,
    address: tuple[str, int],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_size: int = MAX_SIZE,
) -> Report:
    """spamd's report on `raw`, asked of the spamd at `address` (host, port) within `timeout`
    seconds. Never raises for what spamd does or does not do: see `Report.error`."""
    host, port = address
    where = f"{host}:{port}"
    if len(raw) > max_size:
        return Report(
            error=f"the message is {len(raw):,} bytes, over the {max_size:,} bytes sent to "
            "SpamAssassin; check a smaller message"
        )
    try:
        async with asyncio.timeout(timeout):
            return parse_answer(await _exchange(raw, host, port))
    except ValueError as exc:  # an answer that is not spamd's
        return Report(error=f"SpamAssassin (spamd) at {where}: {exc}")
    except TimeoutError:
        return Report(error=f"SpamAssassin (spamd) at {where} did not answer within {timeout:g} s")
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        return Report(
            error=f"cannot reach SpamAssassin (spamd) at {where}: {reason}; is spamd "
            "running there? (--smtp-spamassassin names it)"
        )


async def _exchange(raw: bytes, host: str, port: int) -> bytes:
    """spamd's answer to REPORT for `raw`; ValueError when it exceeds MAX_RESPONSE."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(b"REPORT SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(raw))
        writer.write(raw)
        await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()  # spamd reads until the request ends
        answer = await reader.read(MAX_RESPONSE + 1)
        while len(answer) <= MAX_RESPONSE:
            more = await reader.read(MAX_RESPONSE + 1 - len(answer))
            if not more:
                break
            answer += more
        if len(answer) > MAX_RESPONSE:
            raise ValueError(f"answer longer than {MAX_RESPONSE:,} bytes; is that spamd?")
        return answer
    finally:
        writer.close()
        with contextlib.suppress(OSError):  # already gone; the answer, if any, is read
            await writer.wait_closed()


def parse_answer(answer: bytes) -> Report:
    """The `Report` in spamd's answer to REPORT. ValueError says what is wrong with one that
    is not a successful spamd answer."""
    text = answer.decode("utf-8", "replace").replace("\r\n", "\n")
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    status = _STATUS.fullmatch(lines[0].strip())
    if status is None:
        raise ValueError(f"answered {lines[0][:80]!r}, not a SPAMD/1.x status line")
    if status.group(1) != "0":
        raise ValueError(f"refused the check: {status.group(1)} {status.group(2)}")
    verdict = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "spam":
            verdict = _SPAM.fullmatch(value.strip())
    if verdict is None:
        raise ValueError("answered without a Spam: header")
    return Report(
        is_spam=verdict.group(1).lower() in {"true", "yes"},
        score=float(verdict.group(2)),
        rules=_rules(body),
    )


def _rules(report: str) -> tuple[Rule, ...]:
    """The rules in the table that follows "Content analysis details" in a REPORT."""
    _, found, table = report.partition("Content analysis details")
    if not found:
        return ()
    rules: list[Rule] = []
    in_table = False
    for line in table.split("\n"):
        if line.startswith("----"):
            in_table = True  # the rule under the column titles
            continue
        if not in_table or not line.strip():
            continue
        hit = _RULE.fullmatch(line.rstrip())
        if hit is not None:
            rules.append(Rule(hit.group(2), float(hit.group(1)), hit.group(3).strip()))
        elif rules and line[:1].isspace():  # a long description goes on, indented
            last = rules[-1]
            rules[-1] = Rule(last.name, last.score, f"{last.description} {line.strip()}")
    return tuple(rules)
