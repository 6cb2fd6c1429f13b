"""The dates `before:` and `after:` take, in the forms Mailpit's documentation shows and more.

Mailpit reads them with Go's `dateparse.ParseIn`, which guesses the layout. The forms here are
those people type and Mailpit's clients send:

    2000-01-31  2000/01/31  2000.01.31  01/31/2000 (month first, as dateparse reads it)
    31 Jan 2000  Jan 31 2000  January 31, 2000  Mon, 31 Jan 2000  31-Jan-2000
    any of these followed by a time: 15:04, 15:04:05, 3:04 PM, 3PM
    ISO 8601 / RFC 3339 (2000-01-31T15:04:05Z, with an offset or fractions of a second)
    RFC 2822 (Mon, 31 Jan 2000 15:04:05 +0100) and a Unix time in seconds or milliseconds

A date without an offset is read in the time zone given (`tz`, an IANA name such as
Europe/Berlin), or else the server's local time zone, as Mailpit does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DateError", "parse_date", "time_zone"]

_DATES = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%m/%d/%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%d-%b-%Y",
    "%Y %b %d",
)
_TIMES = ("", " %H:%M", " %H:%M:%S", " %H:%M:%S.%f", " %I:%M %p", " %I:%M:%S %p", " %I %p")
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE)
# A trailing zone: an offset (+01:00, +0100, -05) or a name meaning UTC.
_OFFSET = re.compile(
    r"(?:(?:(?<=:\d\d)|\s+)([+-])(\d{2}):?(\d{2})?|\s*\b(z|utc|gmt))$", re.IGNORECASE
)
_T = re.compile(r"(?<=\d)T(?=\d)", re.IGNORECASE)
_MERIDIEM = re.compile(r"(\d)\s*([ap])\.?m\.?$", re.IGNORECASE)
_EPOCH = re.compile(r"^\d{9,13}$")


class DateError(ValueError):
    """A date or time zone that cannot be read; the message says which forms can."""


def time_zone(name: str | None) -> tzinfo | None:
    """The IANA time zone `name` (None or empty: the server's local zone, given as None)."""
    if not name or not name.strip():
        return None
    name = name.strip()
    if name.upper() in ("UTC", "Z", "GMT"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DateError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin or UTC"
        ) from None


def parse_date(value: str, zone: tzinfo | None) -> datetime:
    """`value` as an aware datetime; a value without an offset is in `zone` (None: local)."""
    text = " ".join(value.replace(",", " ").split())
    if _EPOCH.match(text):
        seconds = int(text) / (1000 if len(text) > 10 else 1)
        return datetime.fromtimestamp(seconds, UTC)
    when = _iso(text) or _layouts(text)
    if when is None:
        raise DateError(
            f"{value!r} is not a date; use a form such as 2000-01-31, 2000/01/31, "
            "31 Jan 2000 or 2000-01-31T15:04:05Z"
        )
    if when.tzinfo is not None:
        return when
    return when.astimezone() if zone is None else when.replace(tzinfo=zone)


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _layouts(text: str) -> datetime | None:
    text = _T.sub(" ", _MERIDIEM.sub(r"\1 \2M", _WEEKDAY.sub("", text)))
    offset: tzinfo | None = None
    if (m := _OFFSET.search(text)) and m.start() > 0:
        if m.group(4):
            offset = UTC
        else:
            minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
            offset = timezone(timedelta(minutes=-minutes if m.group(1) == "-" else minutes))
        text = text[: m.start()]
    for date in _DATES:
        for time in _TIMES:
            try:
                when = datetime.strptime(text, date + time)
            except ValueError:
                continue
            return when if offset is None else when.replace(tzinfo=offset)
    return None
