"""Query parameters as Mailpit reads them: paging that never refuses, and `extras`.

Mailpit parses `start` and `limit` leniently (Go's `strconv.Atoi`): a value that is not a whole
number, or is out of range, is the default instead (start 0, limit 50), never an error. Its
clients count on that, so the API routes here do the same; only mailtrap's safety bounds
still apply, silently (a page holds at most `MAX_PAGE` messages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from mailtrap.storage._common import MAX_PAGE
from mailtrap.storage.base import MAX_START

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_PAGE",
    "Extras",
    "Paging",
    "PagingParams",
    "Tz",
    "whole_number",
]

DEFAULT_LIMIT = 50
# What Go's strconv.Atoi takes: an optional sign and decimal digits, within 64 bits.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_INT64 = 2**63

Tz = Annotated[
    str,
    Query(
        description="IANA time zone (such as Pacific/Auckland) of the dates in `before:` and "
        "`after:` that have no offset; default: the server's. An unknown zone is a 400."
    ),
]


def whole_number(text: str | None) -> int | None:
    """`text` as Go's `strconv.Atoi` reads it on a 64-bit machine, or None where it fails."""
    if text is None or not _INTEGER.fullmatch(text) or len(text) > 20:
        return None
    value = int(text)
    return value if -_INT64 <= value < _INT64 else None


@dataclass(frozen=True, slots=True)
class PagingParams:
    """`start` as asked (0 when not a positive whole number), and `limit`: as asked, 0 kept
    (each route says what 0 means, as Mailpit does), `DEFAULT_LIMIT` when not a whole number
    of 0 or more."""

    start: int
    limit: int

    @property
    def store_start(self) -> int:
        """`start` within what a store takes: past `MAX_START` every page is empty anyway."""
        return min(self.start, MAX_START)

    def store_limit(self, zero: int) -> int:
        """`limit` for a store: `zero` stands for 0, and at most `MAX_PAGE`."""
        return min(self.limit or zero, MAX_PAGE) or 1


def _paging(
    start: Annotated[
        str | None,
        Query(
            description="how many matches to skip (a whole number; anything else means 0)",
            examples=["0"],
        ),
    ] = None,
    limit: Annotated[
        str | None,
        Query(
            description=(
                f"page size (a whole number; anything else means {DEFAULT_LIMIT}); at most "
                f"{MAX_PAGE} are returned"
            ),
            examples=[str(DEFAULT_LIMIT)],
        ),
    ] = None,
) -> PagingParams:
    given_start = whole_number(start)
    given_limit = whole_number(limit)
    return PagingParams(
        start=given_start if given_start is not None and given_start > 0 else 0,
        limit=given_limit if given_limit is not None and given_limit >= 0 else DEFAULT_LIMIT,
    )


Paging = Annotated[PagingParams, Depends(_paging)]

Extras = Annotated[
    bool,
    Query(
        description=(
            "mailtrap only: add mailtrap's fields to Mailpit's shape (see the README); "
            "without it the answer has exactly Mailpit's fields"
        ),
    ),
]
