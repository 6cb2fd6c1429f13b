"""What a hostile SMTP client cannot do: forge header fields through mailtrap's own `Received:`
line, or make the server buffer a command line without bound. Driven over raw sockets, as an
attacker would, and checked through what the store kept."""

from __future__ import annotations

import base64
import resource
import smtplib
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving import start

from mailtrap import MemoryStore, SMTPServer
from mailtrap.config import Settings
from mailtrap.smtp.auth import Authenticator
from mailtrap.smtp.handler import DEFAULT_MAX_CONNECTIONS


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer(MemoryStore(), port=0) as srv:
        yield srv
    srv.check()  # nothing a client did may surface as a server error


class RawClient:
    """An SMTP client that sends exactly the bytes it is given and reads whole replies."""

    def __init__(self, server: SMTPServer) -> None:
        self.sock = socket.create_connection((server.host, server.port), timeout=10)
        self.pending = b""
        assert self.reply().startswith(b"220")

    def reply(self) -> bytes:
        """The next complete reply (a multi-line one joined by CRLF), bounded by the timeout."""
        lines: list[bytes] = []
        while True:
            while b"\r\n" not in self.pending:
                chunk = self.sock.recv(65536)
                assert chunk, f"connection closed after {lines!r}"
                self.pending += chunk
            line, self.pending = self.pending.split(b"\r\n", 1)
            lines.append(line)
            if line[3:4] != b"-":
                return b"\r\n".join(lines)

    def command(self, line: bytes) -> bytes:
        self.sock.sendall(line)
        return self.reply()

    def close(self) -> None:
        self.sock.close()


CONTENT = b"From: app@example.com\r\nSubject: trace\r\n\r\nbody\r\n"

# Each would end or fold the Received line, or start a field of its own, if copied as sent.
# A bare LF cannot be sent: it ends the command line.
HOSTILE_EHLO = [
    pytest.param(b"evil\rX-Forged: yes", id="bare-CR"),
    pytest.param(b"evil\r\tfolded-in\rX-Forged: yes", id="CR-TAB-fold"),
    pytest.param(b"evil\x00\x0b\x0c\x1b\x7fX-Forged: yes", id="controls"),
    pytest.param("evil\u2028X-Forged: yes\u2029\u0085\u202e".encode(), id="unicode-breaks-bidi"),
    pytest.param(b"evil\x85\xffX-Forged: yes", id="not-utf8"),  # aiosmtpd: surrogate escapes
    pytest.param(
        b'evil (x; "y" <z>) \\ by forged.example with SMTP; Mon, 1 Jan 2001 00:00:00 +0000',
        id="received-syntax",
    ),
]


@pytest.mark.parametrize("ehlo", HOSTILE_EHLO)
def test_received_copies_nothing_that_could_forge_a_field(server: SMTPServer, ehlo: bytes) -> None:
    client = RawClient(server)
    assert client.command(b"EHLO " + ehlo + b"\r\n").startswith(b"250")
    assert client.command(b"MAIL FROM:<app@example.com>\r\n").startswith(b"250")
    # A quoted local part may carry a bare CR; aiosmtpd accepts it.
    rcpt = b'"x\rX-Forged: yes"@example.com'
    assert client.command(b"RCPT TO:<" + rcpt + b">\r\n").startswith(b"250")
    assert client.command(b"DATA\r\n").startswith(b"354")
    assert client.command(CONTENT + b".\r\n").startswith(b"250")
    client.close()

    [summary] = server.store.list().messages
    message = server.store.get(summary.id)
    # The raw bytes are mailtrap's field, then exactly what the client sent.
    assert message.raw.endswith(CONTENT)
    ours = message.raw[: -len(CONTENT)]
    first, *folds, end = ours.split(b"\r\n")
    assert end == b""
    assert first.startswith(b"Received: from evil")
    assert folds
    assert all(fold.startswith(b"\t") for fold in folds)
    for line in (first, *folds):
        text = line.removeprefix(b"\t")  # the fold's own whitespace; no other control at all
        assert all(0x20 <= byte != 0x7F for byte in text), line
        text.decode("utf-8")  # and no stray 8-bit bytes
    # The full parse sees one Received field and the client's own fields, nothing forged.
    assert [name for name, _ in message.raw_headers] == ["Received", "From", "Subject"]
    [received] = message.headers.get_all("Received")
    assert received.count(";") == 1  # the date is the one thing after the only ";"
    assert received.count("(") == received.count(")") == 2  # ([peer]), (mailtrap version)
    assert " by localhost (mailtrap " in received
    assert "forged.example" not in received.split()
    for char in "\u2028\u2029\u0085\u202e\ufffd":
        assert char not in received
    # The envelope still has what the client really said.
    assert message.envelope.helo == ehlo.decode("utf-8", "surrogateescape")
    assert message.envelope.rcpt_tos == (rcpt.decode(),)


def test_received_keeps_ordinary_and_utf8_names(server: SMTPServer) -> None:
    client = RawClient(server)
    client.command("EHLO mail.exämple.com\r\n".encode())
    client.command(b"MAIL FROM:<app@example.com>\r\n")
    client.command("RCPT TO:<jörg+tag@exämple.com> \r\n".encode())
    client.command(b"DATA\r\n")
    client.command(CONTENT + b".\r\n")
    client.close()
    [summary] = server.store.list().messages
    [received] = server.store.get(summary.id).headers.get_all("Received")
    assert received.startswith("from mail.exämple.com ([127.0.0.1]) by localhost (mailtrap ")
    assert " for <jörg+tag@exämple.com>; " in received


def test_received_cuts_an_overlong_name_to_keep_the_line_short(server: SMTPServer) -> None:
    client = RawClient(server)
    assert client.command(b"EHLO " + b"a" * 500 + b"\r\n").startswith(b"250")
    client.command(b"MAIL FROM:<app@example.com>\r\nRCPT TO:<bob@example.com>\r\n")
    client.reply()
    client.command(b"DATA\r\n")
    client.command(CONTENT + b".\r\n")
    client.close()
    [summary] = server.store.list().messages
    message = server.store.get(summary.id)
    assert all(len(line) <= 998 for line in message.raw.split(b"\r\n"))  # RFC 5322 2.1.1
    assert message.raw.startswith(b"Received: from " + b"a" * 256 + b"... ([127.0.0.1])\r\n")
    assert message.envelope.helo == "a" * 500


def test_an_overlong_command_line_gets_500_before_it_ends(server: SMTPServer) -> None:
    client = RawClient(server)
    client.command(b"EHLO app.example\r\n")
    # DATA still takes a 2 MB line (real HTML mail has them) ...
    html = b"<p>" + b"x" * 2_000_000 + b"</p>"
    client.command(b"MAIL FROM:<app@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n")
    assert client.reply().startswith(b"250")
    assert client.reply().startswith(b"354")
    assert client.command(CONTENT + html + b"\r\n.\r\n").startswith(b"250")
    # ... but a command line is answered as soon as it is too long, not when (if ever) it ends.
    client.sock.sendall(b"NOOP " + b"X" * 2_000_000)
    assert client.reply().startswith(b"500 5.5.2 Line too long")
    # The rest of that line is dropped as it arrives; the next line is a command again.
    assert client.command(b"X" * 1_000_000 + b"\r\nNOOP\r\n").startswith(b"250")
    assert client.command(b"QUIT\r\n").startswith(b"221")
    client.close()
    [summary] = server.store.list().messages
    assert server.store.get(summary.id).raw.endswith(html + b"\r\n")
    fresh = RawClient(server)  # the server serves the next client as usual
    assert fresh.command(b"EHLO next.example\r\n").startswith(b"250")
    fresh.close()


@pytest.fixture
def auth_server() -> Iterator[SMTPServer]:
    with SMTPServer(
        MemoryStore(), port=0, auth=Authenticator(None), auth_allow_insecure=True
    ) as srv:
        yield srv
    srv.check()


def auth_plain_line(octets: int) -> bytes:
    """An `AUTH PLAIN` line with valid credentials, exactly `octets` long with its CRLF."""
    token = base64.b64encode(b"\0user\0" + b"p" * ((octets - 13) // 4 * 3 - 6))
    line = b"AUTH PLAIN " + token
    return line + b" " * (octets - 2 - len(line)) + b"\r\n"  # aiosmtpd strips the spaces


def test_a_long_auth_plain_line_logs_in(auth_server: SMTPServer) -> None:
    with smtplib.SMTP(auth_server.host, auth_server.port, timeout=10) as client:
        client.ehlo()
        client.user, client.password = "user", "p" * 1500  # a 2 KiB AUTH line, as smtplib sends
        code, _ = client.auth("PLAIN", client.auth_plain)
        assert code == 235
        client.sendmail("app@example.com", ["bob@example.com"], CONTENT)
    [summary] = auth_server.store.list().messages
    assert auth_server.store.get(summary.id).envelope.login == "user"


def test_command_lines_are_limited_to_12288_octets(auth_server: SMTPServer) -> None:
    # RFC 4954 section 4: 12288 octets is what deployed AUTH mechanisms need.
    client = RawClient(auth_server)
    client.command(b"EHLO app.example\r\n")
    assert len(auth_plain_line(12289)) == 12289
    assert client.command(auth_plain_line(12289)).startswith(b"500 5.5.2 Line too long")
    assert client.command(auth_plain_line(12288)).startswith(b"235")
    client.close()


def test_an_overlong_auth_response_fails_the_auth_with_500(auth_server: SMTPServer) -> None:
    client = RawClient(auth_server)
    client.command(b"EHLO app.example\r\n")
    assert client.command(b"AUTH LOGIN\r\n").startswith(b"334")
    assert client.command(b"A" * 100_000 + b"\r\n").startswith(b"500 5.5.2 Line too long")
    assert client.command(b"NOOP\r\n").startswith(b"250")  # the exchange is over
    assert client.command(auth_plain_line(100)).startswith(b"235")  # and it did not log in
    client.close()


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):  # the resident high-water mark
            return int(line.split()[1])
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


@pytest.mark.skipif(sys.platform != "linux", reason="reads the server's peak RSS from /proc")
def test_endless_command_lines_cost_bounded_memory() -> None:
    # The attack, scaled down: before, each connection buffered its whole line (here
    # 24 x 8 MiB = 192 MiB). Now each holds at most ~2 x 12 KiB plus one 256 KiB socket read,
    # so 64 MiB of growth is a bound with room for allocator slack that the attack cannot meet.
    connections, line = 24, b"X" * (8 * 1024 * 1024)
    running = start("--memory")
    try:
        running.send("warm-up")  # imports and first-use allocations happen before the baseline
        before = peak_rss_kib(running.proc.pid)
        replies: list[bytes] = []

        def flood(sock: socket.socket) -> None:
            try:
                sock.recv(1024)
                sock.sendall(line)  # no newline, ever
                replies.append(sock.recv(1024))
            except OSError as exc:  # reported by the assertion on replies
                replies.append(repr(exc).encode())

        socks = [socket.create_connection(running.smtp, timeout=20) for _ in range(connections)]
        threads = [threading.Thread(target=flood, args=(sock,)) for sock in socks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        grown = (peak_rss_kib(running.proc.pid) - before) // 1024
        for sock in socks:
            sock.close()
        assert grown < 64, f"peak RSS grew {grown} MiB for {connections} endless lines"
        assert len(replies) == connections
        assert all(reply.startswith(b"500 5.5.2 Line too long") for reply in replies), replies
        running.send("after the flood")
        newest = running.get("/api/v1/messages")["messages"][0]
        assert newest["Subject"] == "after the flood"
    finally:
        code, err = running.stop()
    assert code == 0, err


def test_connections_are_limited_to_200_by_default() -> None:
    assert Settings().smtp_max_connections == DEFAULT_MAX_CONNECTIONS == 200
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    [row] = [line for line in readme.splitlines() if line.startswith("| `--smtp-max-connections")]
    assert "| `200` |" in row
    # Both ends of 200 connections live in this process; macOS starts at 256 open files.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1024:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
    with SMTPServer(MemoryStore(), port=0) as server:  # the library has the same default
        socks: list[socket.socket] = []
        try:
            for _ in range(200):
                socks.append(socket.create_connection((server.host, server.port), timeout=10))
                assert socks[-1].recv(1024).startswith(b"220")
            with socket.create_connection((server.host, server.port), timeout=10) as extra:
                assert extra.recv(1024).startswith(b"421 4.7.0 Too many connections (limit 200)")
            socks.pop().close()
            deadline = time.monotonic() + 10
            while server.handler.active >= 200 and time.monotonic() < deadline:
                time.sleep(0.01)
            RawClient(server).close()  # a slot is free again: greeted with 220
        finally:
            for sock in socks:
                sock.close()
    server.check()
