"""The private aiosmtpd members `mailtrap.smtp.protocol` (and `mailtrap.smtp.idle`) rely on.

`SMTPProtocol` subclasses aiosmtpd's `SMTP` and overrides or reads members aiosmtpd does not
promise to keep. pyproject.toml pins aiosmtpd to the minor versions tested; when a new one is
allowed, this test names whichever member went away, before any SMTP test fails mysteriously.
"""

from __future__ import annotations

import asyncio
import socket

import aiosmtpd.smtp

# Methods SMTPProtocol overrides or calls on super().
METHODS = (
    "_authenticate",
    "_call_handler_hook",
    "_cb_client_connected",
    "_getaddr",
    "_handle_client",
    "_reset_timeout",
    "_set_post_data_state",
    "_timeout_cb",
)
# State a live connection carries, which SMTPProtocol reads.
ATTRIBUTES = (
    "_decode_data",
    "_original_transport",
    "_reader",
    "_timeout_duration",
    "_timeout_handle",
    "_writer",
)


def test_the_private_methods_are_still_aiosmtpds() -> None:
    missing = [name for name in METHODS if not callable(vars(aiosmtpd.smtp.SMTP).get(name))]
    assert missing == [], f"aiosmtpd {aiosmtpd.smtp.__version__} no longer defines {missing}"


def test_a_live_connection_still_carries_the_private_state() -> None:
    """A plain aiosmtpd SMTP on one end of a socket pair, after its greeting."""

    class Handler:
        pass

    async def connect() -> list[str]:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        protocol = aiosmtpd.smtp.SMTP(Handler(), loop=loop)
        transport, _ = await loop.connect_accepted_socket(lambda: protocol, ours)
        try:
            reader, writer = await asyncio.open_connection(sock=theirs)
            assert (await asyncio.wait_for(reader.readline(), 10)).startswith(b"220 ")
            writer.close()
            return [name for name in ATTRIBUTES if not hasattr(protocol, name)]
        finally:
            transport.close()

    missing = asyncio.run(connect())
    assert missing == [], f"aiosmtpd {aiosmtpd.smtp.__version__} no longer sets {missing}"


def test_the_asyncio_stream_members_line_reader_uses_are_still_there() -> None:
    """`mailtrap.smtp.lines.LineReader` sets `_limit` and overrides `_wait_for_data`, where
    every read that finds too little buffered waits (what `SMTPServer.settle` reads)."""

    async def members() -> tuple[bool, bool]:
        reader = asyncio.StreamReader()
        return callable(getattr(reader, "_wait_for_data", None)), hasattr(reader, "_limit")

    assert asyncio.run(members()) == (True, True)
