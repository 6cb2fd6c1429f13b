"""What a hostile SMTP client cannot do: forge header fields through mailtrap's own `Received:`
line, or make the server buffer a command line without bound. Driven over raw sockets, as an
attacker would, and checked through what the store kept."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from mailtrap import MemoryStore, SMTPServer


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
    assert folds and all(fold.startswith(b"\t") for fold in folds)
    for line in (first, *folds):
        text = line.removeprefix(b"\t")  # the fold's own whitespace; no other control at all
        assert all(0x20 <= byte != 0x7F for byte in text), line
        text.decode("utf-8")  # and no stray 8-bit bytes
    # The full parse sees one Received field and the client's own fields, nothing forged.
    assert [name for name, _ in message.raw_headers] == ["Received", "From", "Subject"]
    [received] = message.headers.get_all("Received")
    assert received.count(";") == 1  # the date is the one thing after the only ";"
    assert received.count("(") == received.count(")") == 2  # ([peer]), (mailtrap version)
    assert " by localhost (mailtrap " in received and "forged.example" not in received.split()
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
