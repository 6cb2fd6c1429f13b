"""STARTTLS, implicit TLS and AUTH, with real clients (smtplib, swaks) that verify the cert."""

from __future__ import annotations

import smtplib
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tools import require_tool

from mailtrap import MemoryStore, SMTPServer
from mailtrap.smtp.auth import Authenticator, parse_users, read_users_file
from mailtrap.smtp.tls import Certificates, self_signed, server_context

MAIL = b"From: app@example.com\r\nTo: bob@example.com\r\nSubject: secure\r\n\r\nhi\r\n"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def client_tls(certs: Certificates) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certs.ca))  # verifies, as a real app would


@pytest.fixture
def serve(certs: Certificates) -> Iterator[Any]:
    started: list[SMTPServer] = []

    def start(**options: Any) -> SMTPServer:
        server = SMTPServer(MemoryStore(), port=0, tls_context=server_context(certs), **options)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        server.check()


def stored(server: SMTPServer) -> list[Any]:
    return [server.store.get(m.id) for m in server.store.list().messages]


def test_certificates_are_generated_once_and_reused(tmp_path: Path) -> None:
    first = self_signed(tmp_path)
    assert first.key.stat().st_mode & 0o777 == 0o600
    again = self_signed(tmp_path)
    assert again.cert.read_bytes() == first.cert.read_bytes()
    with pytest.raises(ValueError, match="cannot use TLS certificate"):
        server_context(Certificates(first.ca, first.key))  # type: ignore[arg-type]


def test_optional_starttls(serve: Any, client_tls: ssl.SSLContext) -> None:
    server = serve(starttls=True)
    with smtplib.SMTP(server.host, server.port) as plain:
        assert plain.ehlo()[0] == 250
        assert plain.has_extn("starttls")
        plain.sendmail("app@example.com", ["bob@example.com"], MAIL)
    with smtplib.SMTP("localhost", server.port) as secure:
        secure.starttls(context=client_tls)
        secure.sendmail("app@example.com", ["bob@example.com"], MAIL)
    newest, oldest = stored(server)
    assert (newest.envelope.tls, oldest.envelope.tls) == (True, False)
    assert "with ESMTPS" in newest.headers.get_all("Received")[0]


def test_required_starttls_refuses_plain_mail(serve: Any, client_tls: ssl.SSLContext) -> None:
    server = serve(require_starttls=True)
    with smtplib.SMTP(server.host, server.port) as plain:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            plain.sendmail("app@example.com", ["bob@example.com"], MAIL)
        assert refused.value.smtp_code == 530
    assert stored(server) == []
    with smtplib.SMTP("localhost", server.port) as secure:
        secure.starttls(context=client_tls)
        secure.sendmail("app@example.com", ["bob@example.com"], MAIL)
    assert [m.envelope.tls for m in stored(server)] == [True]


def test_implicit_tls_with_auth(serve: Any, client_tls: ssl.SSLContext) -> None:
    server = serve(implicit_tls=True, auth=Authenticator({"app": "s3cret"}))
    with smtplib.SMTP_SSL("localhost", server.port, context=client_tls) as client:
        client.login("app", "s3cret")  # AUTH over SMTPS works (aiosmtpd #281 worked around)
        client.sendmail("app@example.com", ["bob@example.com"], MAIL)
    [message] = stored(server)
    assert (message.envelope.tls, message.username) == (True, "app")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_auth_with_users(serve: Any, client_tls: ssl.SSLContext, mechanism: str) -> None:
    server = serve(starttls=True, auth=Authenticator(parse_users(["app:s3cret", "ops:pw"])))
    with smtplib.SMTP("localhost", server.port) as client:
        client.starttls(context=client_tls)
        client.ehlo()
        assert mechanism in client.esmtp_features["auth"].split()
        with pytest.raises(smtplib.SMTPSenderRefused) as unauthenticated:
            client.sendmail("app@example.com", ["bob@example.com"], MAIL)
        assert unauthenticated.value.smtp_code == 530
        client.user, client.password = "app", "wrong"
        method = getattr(client, "auth_" + mechanism.lower().replace("-", "_"))
        with pytest.raises(smtplib.SMTPAuthenticationError) as bad:
            client.auth(mechanism, method)
        assert bad.value.smtp_code == 535
        client.password = "s3cret"
        assert client.auth(mechanism, method)[0] == 235
        client.sendmail("app@example.com", ["bob@example.com"], MAIL)
    [message] = stored(server)
    assert message.username == "app"
    assert server.store.list().messages[0].username == "app"


def test_accept_any_credentials(serve: Any, client_tls: ssl.SSLContext) -> None:
    server = serve(starttls=True, auth=Authenticator())
    with smtplib.SMTP("localhost", server.port) as client:
        client.starttls(context=client_tls)
        client.sendmail("app@example.com", ["bob@example.com"], MAIL)  # no login needed
        client.login("whoever", "whatever")
        client.sendmail("app@example.com", ["bob@example.com"], MAIL)
    assert [m.username for m in stored(server)] == ["whoever", None]


def test_auth_before_tls_is_refused_unless_allowed(serve: Any) -> None:
    server = serve(starttls=True, auth=Authenticator())
    with smtplib.SMTP(server.host, server.port) as client:
        client.ehlo()
        assert not client.has_extn("auth")
        assert client.docmd("AUTH", "PLAIN AGFwcABzM2NyZXQ=")[0] == 538
    insecure = serve(auth=Authenticator({"app": "pw"}), auth_allow_insecure=True)
    with smtplib.SMTP(insecure.host, insecure.port) as client:
        client.login("app", "pw")
        client.sendmail("app@example.com", ["bob@example.com"], MAIL)
    assert [m.username for m in stored(insecure)] == ["app"]


def test_auth_off_advertises_nothing(serve: Any, client_tls: ssl.SSLContext) -> None:
    server = serve(starttls=True)
    with smtplib.SMTP("localhost", server.port) as client:
        client.starttls(context=client_tls)
        client.ehlo()
        assert not client.has_extn("auth")


def test_tls_options_without_a_context_name_the_fix() -> None:
    with pytest.raises(ValueError, match=r"mailtrap\.server_context"):
        SMTPServer(MemoryStore(), starttls=True)


def test_users_file(tmp_path: Path) -> None:
    path = tmp_path / "users"
    path.write_text("# comment\napp:s3cret\n\nops:p:w\n")
    assert read_users_file(path) == {"app": "s3cret", "ops": "p:w"}
    path.write_text("no-colon\n")
    with pytest.raises(ValueError, match=r"users: 'no-colon' is not USER:PASS"):
        read_users_file(path)


@pytest.mark.parametrize(
    ("options", "args"),
    [
        ({"starttls": True}, ["--tls"]),
        ({"implicit_tls": True}, ["--tlsc"]),
        ({"starttls": True, "auth": "PLAIN"}, ["--tls", "--auth", "PLAIN"]),
        ({"starttls": True, "auth": "LOGIN"}, ["--tls", "--auth", "LOGIN"]),
        ({"starttls": True, "auth": "CRAM-MD5"}, ["--tls", "--auth", "CRAM-MD5"]),
        ({}, ["--pipeline"]),
    ],
)
def test_swaks(serve: Any, options: dict[str, Any], args: list[str]) -> None:
    swaks = require_tool("swaks", "apt-get install swaks")
    mechanism = options.pop("auth", None)
    if mechanism:
        options["auth"] = Authenticator({"app": "s3cret"})
        args = [*args, "--auth-user", "app", "--auth-password", "s3cret"]
    server = serve(**options)
    run = subprocess.run(
        [
            swaks,
            "--server",
            f"{server.host}:{server.port}",
            "--from",
            "app@example.com",
            "--to",
            "bob@example.com",
            "--header",
            "Subject: via swaks",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    [message] = stored(server)
    assert message.subject == "via swaks"
    assert message.envelope.tls == ("--tls" in args or "--tlsc" in args)
    assert message.username == ("app" if mechanism else None)


def test_a_client_that_refuses_the_certificate_is_no_server_failure(
    serve: Any, client_tls: ssl.SSLContext
) -> None:
    """The client's verification fails (it does not know the CA) and it breaks off the
    handshake: the client reports that; the server goes on and records no error."""
    server = serve(starttls=True)
    with smtplib.SMTP("localhost", server.port, timeout=10) as client:
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(context=ssl.create_default_context())
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.recv(1024)
        raw.sendall(b"EHLO x\r\nSTARTTLS\r\n")
        raw.recv(1024)
        raw.sendall(b"this is no TLS hello\r\n\r\n")  # a client that speaks no TLS
    assert server.settle()
    assert server.errors == []
    with smtplib.SMTP("localhost", server.port, timeout=10) as client:
        client.starttls(context=client_tls)
        client.sendmail("app@example.com", ["bob@example.com"], MAIL)
    assert [m.subject for m in stored(server)] == ["secure"]
