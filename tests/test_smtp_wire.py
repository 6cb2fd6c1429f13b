"""What the SMTP server puts on the wire, seen from its own side of a real loopback connection:
how many writes a reply takes, and the socket options that decide when they leave."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mailtrap import MemoryStore
from mailtrap.smtp.protocol import SMTPProtocol
from mailtrap.smtp.server import SMTPServer


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer(MemoryStore(), port=0) as srv:
        yield srv
    srv.check()


def only_connection(server: SMTPServer) -> SMTPProtocol:
    """The server's protocol object for the one connection open to it; the client has read
    the greeting, so the server waits for its next command."""
    assert server.settle()
    (protocol,) = list(server._connections)
    return protocol


def count_writes(protocol: SMTPProtocol) -> list[bytes]:
    """Record every write the protocol makes from now on (its StreamWriter is a plain Python
    object on either loop; the transport under it may be uvloop's C type)."""
    writes: list[bytes] = []
    write: Callable[[bytes | bytearray | memoryview], Any] = protocol._writer.write

    def counting(data: bytes | bytearray | memoryview) -> None:
        writes.append(bytes(data))
        write(data)

    protocol._writer.write = counting  # type: ignore[method-assign]
    return writes


def test_the_ehlo_reply_leaves_in_one_write(server: SMTPServer) -> None:
    with smtplib.SMTP(server.host, server.port) as client:
        writes = count_writes(only_connection(server))
        code, text = client.ehlo("client.example")
        assert code == 250
        assert b"PIPELINING" in text
        assert b"SMTPUTF8" in text
        # Every line of the reply, in one write: one system call and one segment, not six.
        assert len(writes) == 1, writes
        lines = writes[0].split(b"\r\n")
        assert lines[-1] == b""
        assert all(line.startswith(b"250-") for line in lines[:-2])
        assert lines[-2].startswith(b"250 ")
        assert client.noop()[0] == 250  # single-line replies go out as before
        assert len(writes) == 2


def test_a_multi_line_reply_after_a_refusal_is_still_whole(server: SMTPServer) -> None:
    # A command answered on one line between two EHLOs must not pick up held lines, nor leave
    # any behind: each EHLO reply is complete and alone in its write.
    with smtplib.SMTP(server.host, server.port) as client:
        writes = count_writes(only_connection(server))
        first = client.ehlo("one.example")
        assert client.docmd("BOGUS")[0] == 500
        second = client.ehlo("two.example")
        assert first == second
        assert len(writes) == 3
        assert writes[1].startswith(b"500 ")
        assert writes[1].count(b"\r\n") == 1


def test_replies_are_not_held_back_by_nagle(server: SMTPServer) -> None:
    # Each reply is one small write the client waits for; with Nagle's algorithm on, a write
    # made while an earlier segment is unacknowledged waits for the peer's (delayed) ACK.
    # Both loops mailtrap runs on (uvloop, asyncio's own) set TCP_NODELAY on accepted sockets.
    with smtplib.SMTP(server.host, server.port):
        transport = only_connection(server).transport
        assert transport is not None
        sock = transport.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
