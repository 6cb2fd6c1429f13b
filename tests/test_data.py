"""The DATA reader gives exactly what aiosmtpd's line-by-line reader gives, however bytes arrive."""

from __future__ import annotations

import asyncio
import random

import pytest

from mailtrap.smtp.data import TooMuchData, read_data, unstuff

TRICKY = [
    b"",
    b"Subject: x\r\n\r\nbody\r\n",
    b"Subject: x\r\n\r\nEnds a sentence.\r\nAnd another.\r\n",
    b"..leading dot stuffed\r\n",
    b"Subject: x\r\n\r\n..\r\n...\r\n.. .\r\n",
    b"Subject: x\r\n\r\nno final newline",
    b"bare\nLF.\nlines.\r\n.not a terminator\r\n",
    b"\r\n\r\n.\r\n.\r\n",
]


def aiosmtpd_reference(stream: bytes) -> tuple[bytes, bytes]:
    """aiosmtpd 1.4's algorithm: CRLF lines up to a lone dot, one leading dot dropped from each."""
    lines: list[bytes] = []
    rest = stream
    while True:
        line, sep, rest = rest.partition(b"\r\n")
        assert sep, "the stream holds a terminator"
        if line == b".":
            return b"".join(lines), rest
        lines.append((line[1:] if line.startswith(b".") else line) + b"\r\n")


def stuff(content: bytes) -> bytes:
    """What a client sends for `content`: dot-stuffed, CRLF-ended, then the lone dot."""
    if content and not content.endswith(b"\r\n"):
        content += b"\r\n"
    lines = content.split(b"\r\n")
    return b"\r\n".join(b"." + x if x.startswith(b".") else x for x in lines) + b".\r\n"


async def feed_and_read(
    stream: bytes, pieces: list[int], *, limit: int = 2**16, size_limit: int | None = None
) -> tuple[bytes, bytes]:
    """Feed `stream` to a reader in pieces of the given sizes; return (content, left over)."""
    reader = asyncio.StreamReader(limit=limit)

    async def feed() -> None:
        at = 0
        for size in pieces:
            reader.feed_data(stream[at : at + size])
            at += size
            await asyncio.sleep(0)
        reader.feed_data(stream[at:])
        reader.feed_eof()

    feeder = asyncio.create_task(feed())
    content = unstuff(await read_data(reader, size_limit))
    await feeder
    return content, await reader.read()


@pytest.mark.parametrize("content", TRICKY)
def test_tricky_content_round_trips(content: bytes) -> None:
    stream = stuff(content) + b"QUIT\r\n"
    got = asyncio.run(feed_and_read(stream, []))
    assert got == aiosmtpd_reference(stream)


def test_random_streams_and_splits_match_aiosmtpd() -> None:
    rng = random.Random(1025)
    alphabet = [b".", b"\r\n", b"\r", b"\n", b"a", b"..", b".\r\n", b"\r\n.\r"]
    for _ in range(500):
        content = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(40)))
        stream = stuff(content) + b"NEXT"
        pieces = [rng.randrange(1, 8) for _ in range(rng.randrange(10))]
        # A tiny stream limit makes the reader hit LimitOverrunError over and over.
        limit = rng.choice([4, 8, 2**16])
        got = asyncio.run(feed_and_read(stream, pieces, limit=limit))
        assert got == aiosmtpd_reference(stream), (content, pieces, limit)


def test_a_terminator_split_across_reads_is_found() -> None:
    stream = b"line\r\n.\r\nNEXT"
    for cut in range(1, len(stream) - 4):
        assert asyncio.run(feed_and_read(stream, [cut], limit=4)) == (b"line\r\n", b"NEXT")


def test_content_over_the_limit_is_read_to_its_end_and_refused() -> None:
    stream = stuff(b"x" * 100 + b"\r\n" + b"y.\r\n" * 50) + b"NEXT"
    with pytest.raises(TooMuchData):
        asyncio.run(feed_and_read(stream, [7, 30], limit=16, size_limit=50))

    async def after_refusal() -> bytes:
        reader = asyncio.StreamReader(limit=16)
        reader.feed_data(stream)
        reader.feed_eof()
        with pytest.raises(TooMuchData):
            await read_data(reader, 50)
        return await reader.read()

    assert asyncio.run(after_refusal()) == b"NEXT"  # the next command is intact


def test_the_size_limit_counts_content_not_the_terminator() -> None:
    content = b"x" * 48 + b"\r\n"  # 50 bytes
    assert asyncio.run(feed_and_read(stuff(content), [], size_limit=50))[0] == content
    with pytest.raises(TooMuchData):
        asyncio.run(feed_and_read(stuff(content), [], size_limit=49))


def test_a_hang_up_mid_message_is_an_incomplete_read() -> None:
    with pytest.raises(asyncio.IncompleteReadError):
        asyncio.run(feed_and_read(b"Subject: cut\r\n\r\nhalf a mess", []))
