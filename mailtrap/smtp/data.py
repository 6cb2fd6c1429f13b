"""Reading an SMTP DATA section in a few large reads instead of one await per line.

aiosmtpd reads DATA with one `readuntil(b"\\r\\n")` per line, and for a 2 KiB message those
forty-odd awaits cost more than everything mailtrap does to store it. Here the stream is cut
only where a line ends in a dot (`.\\r\\n`), which is where the terminating lone dot must be;
the rare line that merely ends a sentence with a dot costs one more read.

The result is byte-for-byte what aiosmtpd would produce: the content before the lone dot, with
one leading dot removed from every line that starts with one (RFC 5321 4.5.2).
"""

from __future__ import annotations

import asyncio

__all__ = ["TooMuchData", "read_data", "unstuff"]

_END = b"\r\n.\r\n"


class TooMuchData(Exception):
    """The section was longer than the size limit; it was read to its end and discarded."""


async def read_data(reader: asyncio.StreamReader, size_limit: int | None) -> bytes:
    """Read up to and including the line holding a lone dot; return the content before it.

    The content is still dot-stuffed (see `unstuff`). Raises `TooMuchData` once the lone dot
    has been read, when the content exceeded `size_limit` bytes; the surplus is never kept, so
    an oversized message costs no memory. `asyncio.IncompleteReadError` means the client hung
    up before the end.
    """
    chunks: list[bytes] = []
    size = 0
    too_much = False
    # The section starts at a line start, so an empty message is just ".\r\n".
    tail = b"\r\n"
    while True:
        try:
            chunk = await reader.readuntil(b".\r\n")
        except asyncio.LimitOverrunError as exc:
            # No dot-ended line within the stream's buffer limit: take what is buffered (the
            # reader keeps back the bytes a split separator could start with) and go on.
            chunk = await reader.readexactly(exc.consumed)
        size += len(chunk)
        end = (tail + chunk[-5:])[-5:]
        if end == _END:
            size -= 3  # the lone dot line is not content
            if too_much or (size_limit and size > size_limit):
                raise TooMuchData(size)
            chunks.append(chunk[:-3])
            return b"".join(chunks)
        tail = end
        if too_much:
            continue
        if size_limit and size > size_limit + 3:
            too_much = True
            chunks.clear()  # nothing more is kept: the reply will be 552 either way
            continue
        chunks.append(chunk)


def unstuff(content: bytes) -> bytes:
    """Undo dot-stuffing: drop one leading dot from every line that starts with one."""
    if content.startswith(b"."):
        content = content[1:]
    return content.replace(b"\r\n.", b"\r\n")
