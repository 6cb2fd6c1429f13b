"""The web listening socket: errors that name the fix, and Nagle off on every connection."""

from __future__ import annotations

import socket

import pytest

from mailtrap import MailtrapError
from mailtrap.web.serve import bind_http


def test_accepted_connections_get_tcp_nodelay() -> None:
    """asyncio turns Nagle off only for sockets whose proto is IPPROTO_TCP, and accepted
    sockets inherit it; without it every keep-alive response waited ~40 ms for an ACK."""
    listener = bind_http("127.0.0.1", 0)
    try:
        assert listener.proto == socket.IPPROTO_TCP
    finally:
        listener.close()


def test_a_taken_port_names_the_fix() -> None:
    listener = bind_http("127.0.0.1", 0)
    try:
        with pytest.raises(MailtrapError, match=r"port is in use.*--http"):
            bind_http("127.0.0.1", listener.getsockname()[1])
    finally:
        listener.close()
