"""SMTPServer and its handler, driven over real loopback sockets by real clients."""

from __future__ import annotations

import smtplib
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from mailfactory import build_mail
from tools import SMTP_SOURCE_LIBS, require_tool, smtp_source

from mailtrap import Envelope, MailtrapError, MemoryStore, MessageStore, MessageSummary
from mailtrap.smtp.server import PortInUse, SMTPServer

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SUBJECT = "Grüße aus Köln ✓ — 日本語"


@pytest.fixture
def server(store: MessageStore) -> Iterator[SMTPServer]:
    with SMTPServer(store, port=0) as srv:
        yield srv
    srv.check()


def rich_mail() -> bytes:
    return build_mail(
        subject=SUBJECT,
        sender="Jörg Müller <joerg@example.com>",
        to="Bob <bob@example.com>, carol@example.com",
        text="Hello Bob,\n.leading dot survives\nBye",
        html="<p>Hello <b>Bob</b></p>",
        attachments=(("Rechnung März.pdf", "application/pdf", PDF),),
    )


def assert_rich(store: MessageStore, summary: MessageSummary, *rcpts: str) -> None:
    """Every field of `rich_mail()` came through; `rcpts` is the envelope's recipient list."""
    message = store.get(summary.id)
    assert message.subject == SUBJECT
    assert message.sender is not None
    assert (message.sender.name, message.sender.address) == ("Jörg Müller", "joerg@example.com")
    assert [a.address for a in message.to] == ["bob@example.com", "carol@example.com"]
    named = {"bob@example.com", "carol@example.com"}
    assert [a.address for a in message.bcc] == [r for r in rcpts if r not in named]
    assert message.text.strip() == "Hello Bob,\n.leading dot survives\nBye"
    assert message.html.strip() == "<p>Hello <b>Bob</b></p>"
    [pdf] = message.attachments
    assert (pdf.filename, pdf.content_type, pdf.data, pdf.size) == (
        "Rechnung März.pdf",
        "application/pdf",
        PDF,
        len(PDF),
    )
    assert message.envelope.mail_from == "joerg@example.com"
    assert message.envelope.rcpt_tos == rcpts
    assert message.envelope.peer.startswith("127.0.0.1:")
    assert message.headers.get_all("Received")[0].startswith("from ")
    assert message.defects == ()


def only_message(store: MessageStore) -> MessageSummary:
    page = store.list()
    assert page.total == 1, page
    return page.messages[0]


def test_smtplib_message_is_captured_with_every_field(
    server: SMTPServer, store: MessageStore
) -> None:
    raw = rich_mail()
    with smtplib.SMTP(server.host, server.port) as client:
        client.ehlo("app.example")
        refused = client.sendmail(
            "joerg@example.com", ["bob@example.com", "carol@example.com", "audit@example.com"], raw
        )
    assert refused == {}
    summary = only_message(store)
    assert_rich(store, summary, "bob@example.com", "carol@example.com", "audit@example.com")
    message = store.get(summary.id)
    assert message.envelope.helo == "app.example"
    # What the client sent, byte for byte, after mailtrap's trace field.
    stored = store.get_raw(summary.id)
    assert stored.startswith(b"Received: from app.example ([127.0.0.1])\r\n")
    assert stored.endswith(raw)


def test_swaks_message_is_captured_with_every_field(
    server: SMTPServer, store: MessageStore, tmp_path: Path
) -> None:
    swaks = require_tool("swaks", "apt-get install swaks")
    eml = tmp_path / "mail.eml"
    eml.write_bytes(rich_mail())
    subprocess.run(
        [
            swaks,
            "--server",
            f"{server.host}:{server.port}",
            "--from",
            "joerg@example.com",
            "--to",
            "bob@example.com,carol@example.com,audit@example.com",
            "--data",
            f"@{eml}",
            "--helo",
            "swaks.example",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    rcpts = ("bob@example.com", "carol@example.com", "audit@example.com")
    assert_rich(store, only_message(store), *rcpts)


def test_smtp_source_message_is_captured_with_every_field(
    server: SMTPServer, store: MessageStore, tmp_path: Path
) -> None:
    # -F sends a prepared message, dot-stuffing and ending each line with CRLF itself.
    eml = tmp_path / "mail.txt"
    eml.write_bytes(rich_mail().replace(b"\r\n", b"\n"))
    run_smtp_source(
        "-F",
        str(eml),
        "-f",
        "joerg@example.com",
        "-t",
        "audit@example.com",
        f"{server.host}:{server.port}",
    )
    assert_rich(store, only_message(store), "audit@example.com")


def test_smtp_source_load_is_captured(server: SMTPServer, store: MessageStore) -> None:
    run_smtp_source(
        "-s",
        "5",
        "-m",
        "50",
        "-l",
        "2048",
        "-f",
        "load@example.com",
        "-t",
        "sink@example.com",
        f"{server.host}:{server.port}",
    )
    page = store.list(limit=100)
    assert page.total == 50
    message = store.get(page.messages[0].id)
    assert message.envelope.mail_from == "load@example.com"
    assert message.envelope.rcpt_tos == ("sink@example.com",)
    assert message.size > 2048


def run_smtp_source(*args: str) -> None:
    subprocess.run(
        [smtp_source(), *args],
        env={"LD_LIBRARY_PATH": str(SMTP_SOURCE_LIBS)},
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_smtputf8_addresses_are_accepted(server: SMTPServer, store: MessageStore) -> None:
    raw = "From: Jörg <jörg@exämple.com>\r\nTo: 用户@例子.example\r\nSubject: ü\r\n\r\nhi\r\n"
    with smtplib.SMTP(server.host, server.port) as client:
        client.ehlo()
        assert client.has_extn("smtputf8")
        client.sendmail(
            "jörg@exämple.com", ["用户@例子.example"], raw.encode(), mail_options=["SMTPUTF8"]
        )
    message = store.get(only_message(store).id)
    assert message.envelope.mail_from == "jörg@exämple.com"
    assert message.envelope.rcpt_tos == ("用户@例子.example",)
    assert message.sender is not None
    assert message.sender.address == "jörg@exämple.com"


def test_long_lines_are_accepted(server: SMTPServer, store: MessageStore) -> None:
    line = "<td>" + "x" * 2_000_000 + "</td>"
    raw = f"From: a@example.com\r\nTo: b@example.com\r\nSubject: long\r\n\r\n{line}\r\n"
    with smtplib.SMTP(server.host, server.port) as client:
        client.sendmail("a@example.com", ["b@example.com"], raw.encode())
    assert line in store.get(only_message(store).id).text


def test_size_limit_is_advertised_and_answered_with_552(store: MessageStore) -> None:
    with SMTPServer(store, port=0, max_message_size=10_000) as server:
        with smtplib.SMTP(server.host, server.port) as client:
            client.ehlo()
            assert client.esmtp_features["size"] == "10000"
            client.mail("a@example.com")
            client.rcpt("b@example.com")
            code, _ = client.data(b"Subject: big\r\n\r\n" + b"x" * 20_000)
            assert code == 552
            # The connection is still usable for a message that fits.
            client.rset()
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: small\r\n\r\nok")
        assert [m.subject for m in store.list().messages] == ["small"]


def test_recipient_limit_answers_452(store: MessageStore) -> None:
    with SMTPServer(store, port=0, max_recipients=2) as server:
        with smtplib.SMTP(server.host, server.port) as client:
            refused = client.sendmail(
                "a@example.com",
                ["1@example.com", "2@example.com", "3@example.com"],
                b"Subject: many\r\n\r\nhi",
            )
    assert refused == {"3@example.com": (452, b"4.5.3 Too many recipients (this server accepts 2)")}
    assert store.get(only_message(store).id).envelope.rcpt_tos == ("1@example.com", "2@example.com")


def test_idle_connection_gets_421_then_is_closed(store: MessageStore) -> None:
    with SMTPServer(store, port=0, idle_timeout=0.3) as server:
        with socket.create_connection((server.host, server.port), timeout=10) as sock:
            banner = sock.recv(1024)
            assert banner.startswith(b"220 localhost mailtrap")
            received = b""
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                chunk = sock.recv(1024)
                if not chunk:
                    break
                received += chunk
            assert received.startswith(b"421 4.4.2")


def test_every_command_restarts_the_idle_timeout(store: MessageStore) -> None:
    """The timeout counts from the last command, however many came before it."""
    # Gaps a tenth of the timeout: a loaded machine (CI, both cores busy) oversleeps by tens
    # of milliseconds, and a gap near the timeout made this fail there.
    with SMTPServer(store, port=0, idle_timeout=1.0) as server:
        with (
            socket.create_connection((server.host, server.port), timeout=10) as sock,
            sock.makefile("rb") as stream,
        ):
            assert stream.readline().startswith(b"220 ")
            started = time.monotonic()
            for _ in range(15):  # 15 x 0.1 s: past the timeout, never idle for long
                time.sleep(0.1)
                sock.sendall(b"NOOP\r\n")
                assert stream.readline().startswith(b"250")
            assert time.monotonic() - started > 1.0
            quiet = time.monotonic()
            assert stream.readline().startswith(b"421 4.4.2")  # once idle, the timeout comes
            # From the last NOOP's answer, read late on a busy machine: above 0.5 s shows the
            # timeout restarted (it would come at once had it not), and 1.0 is the timeout.
            assert 0.5 < time.monotonic() - quiet < 6


def test_port_zero_binds_a_free_port_and_host_port_are_exposed(store: MessageStore) -> None:
    server = SMTPServer(store, port=0)
    with pytest.raises(MailtrapError, match="not running"):
        _ = server.port
    with server:
        assert server.host == "127.0.0.1"
        assert server.port > 0
        with smtplib.SMTP(server.host, server.port) as client:
            assert client.noop()[0] == 250
    with pytest.raises(MailtrapError, match="not running"):
        _ = server.port
    server.stop()  # idempotent


def test_port_in_use_is_a_clear_error(store: MessageStore, server: SMTPServer) -> None:
    with pytest.raises(PortInUse, match=rf"{server.port}: the port is in use.*another port \(0"):
        SMTPServer(store, port=server.port).start()


def test_ipv6_loopback(store: MessageStore) -> None:
    if not socket.has_ipv6:
        pytest.skip("this Python has no IPv6 support")
    try:
        server = SMTPServer(store, host="::1", port=0)
        server.start()
    except MailtrapError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    try:
        assert server.host == "::1"
        with smtplib.SMTP(server.host, server.port) as client:
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: v6\r\n\r\nhi")
    finally:
        server.stop()
    message = store.get(only_message(store).id)
    assert message.subject == "v6"
    assert message.envelope.peer.startswith("::1:")


@pytest.mark.parametrize("bad", [{"port": -1}, {"max_message_size": -5}, {"idle_timeout": 0}])
def test_bad_arguments_name_the_value(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        SMTPServer(MemoryStore(), **bad)  # type: ignore[arg-type]


class FailingStore(MemoryStore):
    """Fails the first `failures` submissions, like a full disk would."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def submit(self, raw: bytes, envelope: Envelope) -> Future[MessageSummary]:
        if self.failures:
            self.failures -= 1
            future: Future[MessageSummary] = Future()
            future.set_exception(OSError(28, "No space left on device"))
            return future
        return super().submit(raw, envelope)


def test_a_store_failure_is_a_451_and_reaches_check() -> None:
    store = FailingStore(failures=1)
    with SMTPServer(store, port=0) as server, smtplib.SMTP(server.host, server.port) as client:
        with pytest.raises(smtplib.SMTPDataError) as info:
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: one\r\n\r\nx")
        assert info.value.smtp_code == 451
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: two\r\n\r\nx")
    assert [m.subject for m in store.list().messages] == ["two"]
    with pytest.raises(MailtrapError, match="No space left") as raised:
        server.check()
    assert isinstance(raised.value.__cause__, OSError)


class SlowFailingStore(MemoryStore):
    """Fails every submission, a while after it was made: a disk that is slow, then full."""

    def __init__(self) -> None:
        super().__init__()
        self.submitted = threading.Event()

    def submit(self, raw: bytes, envelope: Envelope) -> Future[MessageSummary]:  # noqa: ARG002
        self.submitted.set()
        future: Future[MessageSummary] = Future()
        error = OSError(28, "No space left on device")
        threading.Timer(0.3, future.set_exception, args=(error,)).start()
        return future


def test_settle_waits_until_what_clients_sent_has_been_dealt_with() -> None:
    """A client that sends a message and does not wait for the reply: the failure it causes
    comes later, and `settle()` returns only once it is in `errors`."""
    with SMTPServer(SlowFailingStore(), port=0) as server:
        assert server.settle(timeout=1)  # nothing to wait for
        with socket.create_connection((server.host, server.port), timeout=10) as client:
            client.recv(1024)
            client.sendall(b"HELO x\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n")
            client.sendall(b"Subject: slow\r\n\r\nx\r\n.\r\n")  # the reply is not read
            started = time.monotonic()
            assert server.settle()
            assert time.monotonic() - started > 0.2  # it waited for the store
            assert [type(e) for e in server.errors] == [OSError]
            client.settimeout(10)
            replies = b""
            while b"451" not in replies:  # the reply came, and the connection is alive
                replies += client.recv(1024)


def test_settle_gives_up_after_its_timeout() -> None:
    with SMTPServer(SlowFailingStore(), port=0) as server:
        with socket.create_connection((server.host, server.port), timeout=10) as client:
            client.recv(1024)
            client.sendall(b"HELO x\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n")
            client.sendall(b"Subject: slow\r\n\r\nx\r\n.\r\n")
            assert not server.settle(timeout=0.05)
            assert server.settle()


@pytest.mark.slow
def test_parallel_senders_lose_nothing(server: SMTPServer, store: MessageStore) -> None:
    senders, per_sender = 10, 100
    errors: list[BaseException] = []

    def send(n: int) -> None:
        try:
            with smtplib.SMTP(server.host, server.port, timeout=60) as client:
                for i in range(per_sender):
                    client.sendmail(
                        f"s{n}@example.com",
                        ["sink@example.com"],
                        f"Subject: {n}-{i}\r\nMessage-ID: <{n}.{i}@t>\r\n\r\nbody".encode(),
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert store.count() == senders * per_sender
    seen = {m.subject for m in store.list(limit=senders * per_sender).messages}
    assert seen == {f"{n}-{i}" for n in range(senders) for i in range(per_sender)}


def read_replies(sock: socket.socket, count: int) -> list[bytes]:
    """`count` complete SMTP replies (multi-line ones joined), bounded by the socket timeout."""
    data = b""
    replies: list[bytes] = []
    while len(replies) < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        while b"\r\n" in data and len(replies) < count:
            line, data = data.split(b"\r\n", 1)
            if line[3:4] != b"-":
                replies.append(line)
    return replies


def test_pipelining_is_advertised_and_works(store: MessageStore) -> None:
    with SMTPServer(store, port=0) as server:
        with smtplib.SMTP(server.host, server.port) as client:
            client.ehlo()
            assert client.has_extn("pipelining")
            assert not client.has_extn("enhancedstatuscodes")  # not every reply has one
        with socket.create_connection((server.host, server.port), timeout=10) as sock:
            sock.recv(1024)
            # RFC 2920: the whole group in one write, DATA last.
            sock.sendall(
                b"EHLO client\r\nMAIL FROM:<a@example.com>\r\n"
                b"RCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n"
            )
            replies = read_replies(sock, 5)
            assert [r[:3] for r in replies] == [b"250", b"250", b"250", b"250", b"354"]
            sock.sendall(b"Subject: pipelined\r\n\r\nx\r\n.\r\nQUIT\r\n")
            assert [r[:3] for r in read_replies(sock, 2)] == [b"250", b"221"]
    assert only_message(store).subject == "pipelined"


def test_connection_limit_answers_421(store: MessageStore) -> None:
    with SMTPServer(store, port=0, max_connections=2) as server:
        first = smtplib.SMTP(server.host, server.port)
        second = smtplib.SMTP(server.host, server.port)
        with pytest.raises(smtplib.SMTPConnectError) as refused:
            smtplib.SMTP(server.host, server.port)
        assert refused.value.smtp_code == 421
        first.quit()
        deadline = time.monotonic() + 10
        while server.handler.active >= 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        with smtplib.SMTP(server.host, server.port) as third:  # a slot is free again
            third.sendmail("a@example.com", ["b@example.com"], b"Subject: ok\r\n\r\nx")
        second.quit()
    assert only_message(store).subject == "ok"


def test_line_length_limit_answers_500(store: MessageStore) -> None:
    with SMTPServer(store, port=0, max_line_length=1000) as server:
        with smtplib.SMTP(server.host, server.port) as client:
            with pytest.raises(smtplib.SMTPDataError) as refused:
                client.sendmail(
                    "a@example.com", ["b@example.com"], b"Subject: long\r\n\r\n" + b"x" * 5000
                )
            assert refused.value.smtp_code == 500
            client.rset()
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: short\r\n\r\nok")
    assert only_message(store).subject == "short"


def test_8bitmime_bodies_are_stored_byte_for_byte(store: MessageStore) -> None:
    body = "Grüße, Jörg — 日本語\r\n".encode()
    raw = b"Subject: 8bit\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
    with SMTPServer(store, port=0) as server, smtplib.SMTP(server.host, server.port) as client:
        client.ehlo()
        assert client.has_extn("8bitmime")
        assert client.has_extn("smtputf8")
        client.sendmail("a@example.com", ["b@example.com"], raw, mail_options=["BODY=8BITMIME"])
    message = store.get(only_message(store).id)
    assert message.raw.endswith(raw)
    assert message.text == body.decode().replace("\r\n", "\n")  # raw bytes: exact, above


def test_data_arriving_in_pieces_is_stored_exactly(store: MessageStore) -> None:
    body = b"Subject: pieces\r\n\r\n..stuffed\r\nends with a dot.\r\n"
    with SMTPServer(store, port=0) as server:
        with socket.create_connection((server.host, server.port), timeout=10) as sock:
            sock.recv(1024)
            sock.sendall(b"EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n")
            read_replies(sock, 3)
            sock.sendall(b"DATA\r\n")
            assert read_replies(sock, 1)[0][:3] == b"354"
            # The terminator split across writes, so the server sees it in two reads.
            for piece in (body[:-1], b"\n", b".", b"\r", b"\nQUIT\r\n"):
                sock.sendall(piece)
                time.sleep(0.02)
            assert [r[:3] for r in read_replies(sock, 2)] == [b"250", b"221"]
    raw = store.get(only_message(store).id).raw
    assert raw.endswith(b"\r\n\r\n.stuffed\r\nends with a dot.\r\n")


def test_a_store_failure_after_the_client_hung_up_is_not_lost() -> None:
    """The client gives up waiting for the reply and goes while the store is still at work:
    the reply has nobody to go to, but the store's failure still reaches `errors` (and so
    `check()` and the test that caused it)."""
    store = SlowFailingStore()
    with SMTPServer(store, port=0) as server:
        with socket.create_connection((server.host, server.port), timeout=10) as client:
            client.recv(1024)
            client.sendall(b"HELO x\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n")
            client.sendall(b"Subject: gone\r\n\r\nx\r\n.\r\n")
            assert store.submitted.wait(10)  # the store has it; the client hangs up now
        deadline = time.monotonic() + 10
        while not server.errors:  # the store fails 0.3 s after it was given the message
            assert time.monotonic() < deadline, "the store's failure was lost"
            time.sleep(0.01)
    assert [type(e) for e in server.errors] == [OSError]
