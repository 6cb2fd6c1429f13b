"""The relay (mailtrap.relay): the bytes that go out, the recipients allowed, and SMTP to a
second mailtrap server that requires STARTTLS and AUTH, as a real relay would."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import postgres
import pytest
from ports import unused_ports
from relaytarget import PASSWORD, USER, arrived, relay_to, target_server, without_trace

from mailtrap import MemoryStore, SMTPServer
from mailtrap.message.models import Envelope
from mailtrap.relay import (
    AutoRelay,
    AutoRules,
    RecipientError,
    RelayConfig,
    RelayError,
    check_recipients,
    prepare,
    read_relay_file,
    send,
)
from mailtrap.smtp.tls import Certificates, self_signed, server_context
from mailtrap.storage.base import StoredMessage

MAIL = (
    b"Received: from app ([127.0.0.1])\r\n\tby catcher; Mon, 30 Nov 2026 04:00:00 +0000\r\n"
    b"From: Ann Example <ann@example.com>\r\n"
    b"To: bob@example.com\r\n"
    b"Bcc: hidden@example.com\r\n"
    b"Subject: a long\r\n  folded subject\r\n"
    b"Message-ID: <original@example.com>\r\n"
    b"Date: Mon, 30 Nov 2026 04:00:00 +0000\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b".a line starting with a dot\r\n"
    b"caf\xc3\xa9 and trailing spaces   \r\n"
    b"Bcc: not a header, in the body\r\n"
)


def stored(raw: bytes = MAIL, mail_from: str = "bounce@example.com") -> StoredMessage:
    store = MemoryStore()
    summary = store.add(raw, Envelope(mail_from, ("bob@example.com",)))
    return store.stored(summary.id)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return self_signed(tmp_path_factory.mktemp("relay-tls"))


@pytest.fixture
def target(certs: Certificates) -> Iterator[SMTPServer]:
    """The relay: mailtrap refusing mail before STARTTLS and AUTH."""
    with target_server(certs) as server:
        yield server


@pytest.mark.parametrize(
    ("auth", "secret"),
    [("plain", {"password": PASSWORD}), ("login", {"password": PASSWORD}),
     ("cram-md5", {"password": "", "secret": PASSWORD})],
)  # fmt: skip
def test_the_relay_receives_the_exact_bytes_but_the_changed_headers(
    target: SMTPServer, certs: Certificates, auth: str, secret: dict[str, str]
) -> None:
    config = relay_to(target, certs, auth=auth, preserve_message_ids=True, **secret)
    prepared = prepare(stored(), config)
    reply = send(config, prepared.sender, ["carol@example.net"], prepared.raw)
    assert reply.startswith("250 ")
    (got,) = arrived(target)
    # Only Bcc went; every other byte is as captured (dot line, folding, 8-bit, spaces).
    assert without_trace(got.raw) == MAIL.replace(b"Bcc: hidden@example.com\r\n", b"")
    assert got.envelope.mail_from == "ann@example.com"  # From's address, as Mailpit
    assert got.envelope.rcpt_tos == ("carol@example.net",)
    assert (got.envelope.tls, got.envelope.login) == (True, USER)


def test_message_ids_are_new_unless_preserved(target: SMTPServer, certs: Certificates) -> None:
    config = relay_to(target, certs)
    prepared = prepare(stored(), config)
    send(config, prepared.sender, ["carol@example.net"], prepared.raw)
    (got,) = arrived(target)
    new_id = re.search(rb"\r\nMessage-ID: (<[^>]+@mailtrap>)\r\n", got.raw)
    assert new_id, got.raw
    assert b"original@example.com" not in got.raw
    assert without_trace(got.raw) == MAIL.replace(b"Bcc: hidden@example.com\r\n", b"").replace(
        b"<original@example.com>", new_id.group(1)
    )
    assert prepare(stored(), config).raw != prepared.raw  # each release is a new message


def test_return_path_and_from_overrides(target: SMTPServer, certs: Certificates) -> None:
    config = relay_to(
        target,
        certs,
        return_path="bounces@example.org",
        preserve_message_ids=True,
    )
    prepared = prepare(stored(b"Return-Path: <old@example.com>\r\n" + MAIL), config)
    assert prepared.sender == "bounces@example.org"
    assert prepared.raw.startswith(b"Return-Path: <bounces@example.org>\r\nReceived: ")
    assert b"old@example.com" not in prepared.raw
    overridden = prepare(stored(), replace(config, override_from="relay@example.org"))
    assert overridden.sender == "relay@example.org"
    assert b"\r\nFrom: Ann Example <relay@example.org>\r\n" in overridden.raw
    assert b"\r\nX-Original-From: Ann Example <ann@example.com>\r\n" in overridden.raw
    send(config, overridden.sender, ["carol@example.net"], overridden.raw)
    (got,) = arrived(target)
    assert got.envelope.mail_from == "relay@example.org"
    assert without_trace(got.raw) == overridden.raw


def test_a_message_with_bare_lf_and_no_headers_still_prepares() -> None:
    config = RelayConfig(host="localhost")
    lf = prepare(stored(b"From: a@example.com\nBcc: b@example.com\n\nbody\n"), config)
    assert re.fullmatch(rb"From: a@example.com\nMessage-ID: <[^>]+@mailtrap>\n\nbody\n", lf.raw)
    bare = prepare(stored(b"just a body, no header\r\n", mail_from="env@example.com"), config)
    assert bare.sender == "env@example.com"
    assert bare.raw.endswith(b"just a body, no header\r\n")


def test_recipients_are_checked_against_the_regexes() -> None:
    config = RelayConfig(
        host="localhost", allowed_recipients=r"@example\.(com|net)$", blocked_recipients="^ceo@"
    )
    assert check_recipients(config, ["Ann <ann@example.com>", "bob@example.net"]) == [
        "ann@example.com",
        "bob@example.net",
    ]
    with pytest.raises(RecipientError, match=r"eve@evil\.org does not match the allowed"):
        check_recipients(config, ["ann@example.com", "eve@evil.org"])
    with pytest.raises(RecipientError, match=r"ceo@example\.com is blocked"):
        check_recipients(config, ["ceo@example.com"])
    with pytest.raises(RecipientError, match="is not an email address"):
        check_recipients(config, ["ann@example.com\r\nRCPT TO:<x@y.z>"])
    with pytest.raises(RecipientError, match="no recipients"):
        check_recipients(config, [])


def test_a_refusing_relay_is_quoted(target: SMTPServer, certs: Certificates) -> None:
    assert target.chaos is not None
    target.chaos.fail_next("rcpt", code=550, text="5.1.1 no such user here")
    config = relay_to(target, certs)
    said = r"RCPT TO:<x@example\.com> got 550 5\.1\.1 no such user"
    with pytest.raises(RelayError, match=said) as e:
        send(config, "a@example.com", ["x@example.com"], MAIL)
    assert (e.value.code, e.value.temporary) == (550, False)
    assert f"localhost:{target.port}" in str(e.value)


def test_a_wrong_password_is_refused_without_showing_it(
    target: SMTPServer, certs: Certificates
) -> None:
    config = relay_to(target, certs, password="wrong-password-here")
    with pytest.raises(RelayError, match="refused AUTH PLAIN as 'relay': 535") as e:
        send(config, "a@example.com", ["x@example.com"], MAIL)
    assert "wrong-password-here" not in str(e.value)
    assert "wrong-password-here" not in repr(config)


def test_the_certificate_is_verified_unless_allowed_insecure(
    target: SMTPServer, certs: Certificates
) -> None:
    untrusted = relay_to(target, certs, ca_file=None)
    with pytest.raises(RelayError, match=r"cannot be verified.*--smtp-relay-ca-file"):
        send(untrusted, "a@example.com", ["x@example.com"], MAIL)
    send(replace(untrusted, allow_insecure=True), "a@example.com", ["x@example.com"], MAIL)
    assert len(arrived(target)) == 1


def test_implicit_tls(certs: Certificates) -> None:
    server = SMTPServer(MemoryStore(), port=0, tls_context=server_context(certs), implicit_tls=True)
    server.start()
    try:
        config = RelayConfig(host="localhost", port=server.port, tls=True, ca_file=certs.ca)
        assert send(config, "a@example.com", ["x@example.com"], MAIL).startswith("250")
        assert arrived(server)[0].envelope.tls is True
    finally:
        server.stop()


@pytest.fixture
def silent() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung relay)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(50)
    yield sock.getsockname()[1]
    sock.close()


def test_a_down_or_silent_relay_fails_within_its_timeout(silent: int) -> None:
    down = RelayConfig(host="127.0.0.1", port=unused_ports()[0], timeout=2.0)
    with pytest.raises(RelayError, match=r"cannot reach the relay 127\.0\.0\.1") as e:
        send(down, "a@example.com", ["x@example.com"], MAIL)
    assert e.value.temporary
    began = time.monotonic()
    with pytest.raises(RelayError, match=r"did not answer within 0\.5s"):
        send(replace(down, port=silent, timeout=0.5), "a@example.com", ["x@example.com"], MAIL)
    assert time.monotonic() - began < 3


def test_config_errors_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a username and a password"):
        RelayConfig(host="h", auth="plain", username="u")
    with pytest.raises(ValueError, match="cram-md5"):
        RelayConfig(host="h", auth="digest-md5")
    with pytest.raises(ValueError, match="exclude each other"):
        RelayConfig(host="h", tls=True, starttls=True)
    with pytest.raises(ValueError, match="allowed-recipients '\\(' is not a regular expression"):
        RelayConfig(host="h", allowed_recipients="(")
    assert RelayConfig(host="h", auth="CRAM", username="u", secret="s").auth == "cram-md5"


def test_mailpits_yaml_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "relay.yml"
    path.write_text(
        "host: smtp.example.com\nport: 587\nstarttls: true\nallow-insecure: false\n"
        "auth: login\nusername: me\npassword: 'pa:ss'\nreturn-path: b@example.com\n"
        "override-from: f@example.com\nallowed-recipients: '@example\\.com$'\n"
        "blocked-recipients: ^ceo@\npreserve-message-ids: true\nrecipient-allowlist: x\n"
        "ca-file: /etc/ca.pem\ntimeout: 3\n"
    )
    values = read_relay_file(path)
    config = RelayConfig.from_values(values)
    assert config.server == "smtp.example.com:587"
    assert (config.starttls, config.auth, config.username, config.password) == (
        True, "login", "me", "pa:ss"
    )  # fmt: skip
    assert (config.allowed_recipients, config.blocked_recipients) == ("x", "^ceo@")
    assert (config.preserve_message_ids, config.ca_file, config.timeout) == (
        True, Path("/etc/ca.pem"), 3.0
    )  # fmt: skip
    assert "pa:ss" not in repr(config)
    path.write_text("host: h\nforward-smtp-errors: false\n")
    assert read_relay_file(path) == {"host": "h"}
    path.write_text("host: h\nforward-smtp-errors: true\n")
    with pytest.raises(ValueError, match="relays in the background"):
        read_relay_file(path)
    path.write_text("host: h\nsmtp-host: typo\n")
    with pytest.raises(ValueError, match="'smtp-host' is not a relay setting; use host, port"):
        read_relay_file(path)
    path.write_text("host: h\nport: [1]\n")
    with pytest.raises(ValueError, match="port is \\[1\\]; it takes int"):
        read_relay_file(path)
    path.write_text("host: [unclosed\n")
    with pytest.raises(ValueError, match="is not YAML"):
        read_relay_file(path)


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_auto_relay_sends_new_mail_and_retries_a_temporary_refusal(
    target: SMTPServer, certs: Certificates
) -> None:
    assert target.chaos is not None
    target.chaos.fail_next("data", code=451, text="4.3.0 try again later")
    store = MemoryStore()
    config = relay_to(target, certs, blocked_recipients="^ceo@", preserve_message_ids=True)
    auto = AutoRelay(store, config, AutoRules(all=True, forward=("qa@example.org",)), backoff=0.05)
    auto.start()
    try:
        summary = store.add(MAIL, Envelope("app@example.com", ("bob@example.com", "ceo@x.com")))
        wait_for(lambda: auto.stats.relayed == 1)
    finally:
        auto.stop()
    (got,) = arrived(target)
    assert got.envelope.rcpt_tos == ("bob@example.com", "qa@example.org")  # not the blocked
    assert without_trace(got.raw) == prepare(store.stored(summary.id), config).raw
    assert (auto.stats.retries, auto.stats.failed) == (1, 0)


def test_auto_relay_matching_and_giving_up(
    target: SMTPServer, certs: Certificates, caplog: pytest.LogCaptureFixture
) -> None:
    assert target.chaos is not None
    store = MemoryStore()
    config = relay_to(target, certs)
    auto = AutoRelay(store, config, AutoRules(matching=r"@relay\.example$"), backoff=0.01)
    auto.start()
    try:
        store.add(MAIL, Envelope("a@example.com", ("nobody@example.com",)))  # not matched
        target.chaos.fail_next("mail", code=554, text="5.7.1 go away")
        store.add(MAIL, Envelope("a@example.com", ("x@relay.example", "y@example.com")))
        wait_for(lambda: auto.stats.failed == 1)
        store.add(MAIL, Envelope("a@example.com", ("z@relay.example",)))
        wait_for(lambda: auto.stats.relayed == 1)
    finally:
        auto.stop()
    assert auto.stats.retries == 0  # a 5xx is final
    assert "gave up relaying message" in caplog.text
    assert "554 5.7.1 go away" in caplog.text
    assert [m.envelope.rcpt_tos for m in arrived(target)] == [("z@relay.example",)]


def test_auto_relay_on_a_shared_postgres_store_relays_only_its_own_instances_mail(
    target: SMTPServer, certs: Certificates, postgres_url: str
) -> None:
    """Both instances hear of the new mail (StoreEvent.remote on the other); one relays it."""
    from mailtrap import PostgresStore, StoreEvent

    schema = postgres.new_schema()
    a = PostgresStore(postgres_url, schema=schema, instance="a")
    b = PostgresStore(postgres_url, schema=schema, instance="b")
    heard: list[StoreEvent] = []
    b.subscribe(heard.append)
    config = relay_to(target, certs)
    relays = [AutoRelay(s, config, AutoRules(all=True), backoff=0.01) for s in (a, b)]
    for auto in relays:
        auto.start()
    try:
        summary = a.add(MAIL, Envelope("app@example.com", ("bob@example.com",)))
        wait_for(lambda: relays[0].stats.relayed == 1)
        wait_for(lambda: [e.ids for e in list(heard)] == [(summary.id,)])
        time.sleep(0.3)  # time enough for a second relay, were there one
        assert relays[1].stats.relayed == relays[1].stats.failed == 0
        assert len(arrived(target)) == 1
    finally:
        for auto in relays:
            auto.stop()
        a.close()
        b.close()
        postgres.drop_schema(postgres_url, schema)


def test_a_full_queue_drops_instead_of_blocking_the_writer(silent: int) -> None:
    store = MemoryStore()
    config = RelayConfig(host="127.0.0.1", port=silent, timeout=5.0)
    auto = AutoRelay(store, config, AutoRules(all=True), queue_limit=2, retries=0)
    auto.start()
    try:
        began = time.monotonic()
        for _ in range(20):
            store.add(MAIL, Envelope("a@example.com", ("b@example.com",)))
        assert time.monotonic() - began < 2  # no add waited on the hung relay
        assert store.count() == 20
        assert auto.stats.dropped >= 17
    finally:
        stopping = threading.Thread(target=auto.stop, args=(1.0,))
        stopping.start()
        stopping.join(10)


def test_a_relay_that_hangs_up_or_lacks_starttls_is_named() -> None:
    with socket.socket() as rude:
        rude.bind(("127.0.0.1", 0))
        rude.listen(1)
        config = RelayConfig(host="127.0.0.1", port=rude.getsockname()[1], timeout=5.0)

        def hang_up() -> None:
            rude.accept()[0].close()

        closer = threading.Thread(target=hang_up)
        closer.start()
        with pytest.raises(RelayError, match=r"the relay 127\.0\.0\.1:\d+ closed the connection"):
            send(config, "a@example.com", ["x@example.com"], MAIL)
        closer.join(10)
    with SMTPServer(MemoryStore(), port=0) as plain:
        config = RelayConfig(host="127.0.0.1", port=plain.port, starttls=True)
        with pytest.raises(RelayError, match="does not support it: STARTTLS"):
            send(config, "a@example.com", ["x@example.com"], MAIL)
        assert plain.store.count() == 0  # never in the clear when STARTTLS was asked for


def test_more_config_errors_name_the_fix() -> None:
    with pytest.raises(ValueError, match="needs a host"):
        RelayConfig(host=" ")
    with pytest.raises(ValueError, match="port 0 must be a number from 1 to 65535"):
        RelayConfig(host="h", port=0)
    with pytest.raises(ValueError, match="--smtp-relay-return-path 'nobody' is not an address"):
        RelayConfig(host="h", return_path="nobody")
    with pytest.raises(ValueError, match="timeout 0 must be"):
        RelayConfig(host="h", timeout=0)


@pytest.mark.parametrize(
    "path", sorted((Path(__file__).parent / "data").glob("*.eml")), ids=lambda p: p.name
)
def test_every_corpus_message_prepares_with_its_body_untouched(path: Path) -> None:
    """Malformed and hostile mail still goes out: only header fields change, never the body."""
    raw = path.read_bytes()
    config = RelayConfig(host="h", return_path="b@example.org", override_from="f@example.org")
    prepared = prepare(stored(raw), config)
    assert prepared.sender == "f@example.org"
    head = re.search(rb"\r?\n\r?\n", raw)
    if head is not None:  # the blank line and everything after it leave as they came
        assert prepared.raw.endswith(raw[head.start() :])
    assert prepared.raw.startswith(b"Return-Path: <b@example.org>")
