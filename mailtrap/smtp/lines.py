"""The stream an SMTP connection reads from: command lines bounded, DATA lines long.

asyncio's `StreamReader` has one `limit`, both the longest line `readuntil` will buffer and the
point where it stops reading from the socket. mailtrap's limit is the message size, so that
long HTML lines pass in DATA; with it, a client could park 25 MiB per connection in a command
line that never ends. `LineReader` keeps a small limit for everything read outside DATA
(commands and AUTH responses) and raises it only for the DATA section, where `_data` reads in
large chunks. An overlong line is reported at once, before its end arrives, and the rest of it
is skipped as it comes in, so the connection never holds more than about twice the limit plus
one socket read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, SupportsIndex

__all__ = ["COMMAND_LINE_LIMIT", "LineReader", "LineTooLong"]

# The longest line accepted outside DATA, CRLF included. RFC 5321 4.5.3.1.4 allows 512 octets
# for a command; RFC 4954 section 4 asks servers to take AUTH responses of 12288 octets (GSSAPI
# tickets of users in many groups), and clients such as smtplib put even long initial responses
# on the AUTH line. SMTPUTF8 addresses (RFC 6531) fit easily. One bound for every line keeps
# the rule simple; per connection it costs at most ~2 x 12 KiB of buffer plus one socket read.
COMMAND_LINE_LIMIT = 12288


class LineTooLong(Exception):
    """A line outside DATA exceeded `COMMAND_LINE_LIMIT`. Nothing of it was kept; the reader
    skips the rest of it before returning another line. The reply that RFC 4954 section 4 and
    RFC 5321 4.5.3.1.10 call for is `str(error)`."""

    def __init__(self) -> None:
        super().__init__(
            f"500 5.5.2 Line too long (limit {COMMAND_LINE_LIMIT} octets with CRLF); "
            "the rest of it is ignored"
        )


class LineReader(asyncio.StreamReader):
    """A `StreamReader` whose lines are at most `COMMAND_LINE_LIMIT` octets, except inside
    `data_section()`, where the limit is `data_limit` and overruns surface as asyncio's own
    `LimitOverrunError` for the DATA readers to handle as they always have."""

    def __init__(self, *, data_limit: int, loop: asyncio.AbstractEventLoop) -> None:
        # readuntil refuses a line when its separator sits beyond `limit`: the LF of a
        # 12288-octet line is at index 12287.
        self._command_limit = COMMAND_LINE_LIMIT - 1
        super().__init__(limit=self._command_limit, loop=loop)
        self.data_limit = data_limit
        self._in_data = False
        self._skipping = False  # the rest of an overlong line is still to come
        # True while the connection waits for its client and nothing has arrived since: the
        # server has dealt with all the client sent (`SMTPServer.settle` reads it).
        self.idle = False

    @contextmanager
    def data_section(self) -> Iterator[None]:
        """Read a DATA section with lines up to `data_limit` octets."""
        # asyncio has no public setter; `_limit` is the one attribute StreamReader reads for
        # both the line limit and flow control (CPython 3.10 to 3.13).
        self._limit = self.data_limit
        self._in_data = True
        try:
            yield
        finally:
            self._in_data = False
            self._limit = self._command_limit

    # Every read that finds too little buffered waits here (CPython 3.8 to 3.13; asyncio has
    # no public hook), and every arrival goes through feed_data or feed_eof.
    async def _wait_for_data(self, func_name: str) -> None:
        self.idle = True
        try:
            await super()._wait_for_data(func_name)  # type: ignore[misc]
        finally:
            self.idle = False

    def feed_data(self, data: Iterable[SupportsIndex]) -> None:  # typeshed's type for bytes
        self.idle = False  # at once: the reading task resumes only on a later loop pass
        super().feed_data(data)

    def feed_eof(self) -> None:
        self.idle = False
        super().feed_eof()

    # `separator` is passed through as given; its stub type differs between Python versions.
    async def readuntil(self, separator: Any = b"\n") -> bytes:
        if self._in_data:
            return await super().readuntil(separator)
        while self._skipping:
            try:
                await super().readuntil(b"\n")
                self._skipping = False
            except asyncio.LimitOverrunError as more:
                await self.readexactly(more.consumed)  # dropped as it arrives
        try:
            return await super().readuntil(separator)
        except asyncio.LimitOverrunError as overrun:
            # Drop what is buffered and say so now: waiting for the line's end would let a
            # client that never sends one hold the connection without an answer.
            await self.readexactly(overrun.consumed)
            self._skipping = True
            raise LineTooLong from None
