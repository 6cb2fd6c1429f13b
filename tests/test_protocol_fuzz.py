"""Hostile SMTP clients: garbage, binary junk, wrong order, huge lines, hang-ups mid-DATA and
slowloris dribbling. Each test checks that an ordinary client is served throughout."""

from __future__ import annotations

import random
import smtplib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from mailtrap import MemoryStore, SMTPServer


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer(MemoryStore(max_messages=0), port=0, idle_timeout=5) as srv:
        yield srv
    srv.check()  # nothing the clients did may surface as a server error


def raw_client(server: SMTPServer, payload: bytes, *, close: bool = True) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.recv(1024)
        sock.sendall(payload)
        if close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            received += chunk
        return received


def still_serves(server: SMTPServer, subject: str = "still here") -> None:
    with smtplib.SMTP(server.host, server.port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], f"Subject: {subject}\r\n\r\nx".encode())
    assert any(m.subject == subject for m in server.store.list(limit=1000).messages)


@pytest.mark.parametrize(
    "payload",
    [
        b"HELLO THERE\r\nFOO BAR\r\n\r\n\r\nQUIT\r\n",
        bytes(random.Random(7).randrange(256) for _ in range(20_000)),
        b"DATA\r\nRCPT TO:<a@b>\r\nMAIL FROM:<a@b>\r\nDATA\r\n.\r\nQUIT\r\n",  # out of order
        b"EHLO x\r\nMAIL FROM:<" + b"a" * 100_000 + b"@b>\r\nQUIT\r\n",
        b"EHLO x\r\n" + b"X" * 10_000_000 + b"\r\nQUIT\r\n",  # a 10 MB command line
        b"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: cut\r\n\r\nhalf a mes",
        b"\x00\xff\r\n" * 1000,
    ],
    ids=[
        "garbage",
        "binary",
        "out-of-order",
        "long-address",
        "10MB-line",
        "hangup-mid-data",
        "nul-lines",
    ],
)
def test_hostile_input_gets_errors_and_the_server_keeps_serving(
    server: SMTPServer, payload: bytes
) -> None:
    replies = raw_client(server, payload)
    assert replies == b"" or replies[:1] in b"2345"
    still_serves(server)
    assert all(m.subject != "cut" for m in server.store.list(limit=100).messages)


def test_out_of_order_commands_get_503(server: SMTPServer) -> None:
    replies = raw_client(server, b"EHLO x\r\nRCPT TO:<a@b>\r\nDATA\r\nQUIT\r\n")
    assert b"503" in replies


def test_slowloris_clients_do_not_starve_others(server: SMTPServer) -> None:
    stop = threading.Event()
    sockets: list[socket.socket] = []

    def dribble() -> None:
        sock = socket.create_connection((server.host, server.port), timeout=10)
        sockets.append(sock)
        try:
            sock.recv(1024)
            for byte in b"EHLO slowly-but-surely\r\n" * 10:
                if stop.wait(0.05):
                    return
                sock.sendall(bytes([byte]))
        except OSError:
            return

    threads = [threading.Thread(target=dribble) for _ in range(50)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while server.handler.active < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.handler.active >= 50  # every slow client is connected and dribbling
    try:
        started = time.monotonic()
        for i in range(20):
            still_serves(server, f"normal {i}")
        assert time.monotonic() - started < 10
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
        for sock in sockets:
            sock.close()
