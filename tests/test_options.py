"""The typed path from settings to servers: `smtp_options`, shared by `mailtrap serve` and the
pytest plugin, and what `Settings` come to (`serve_options`, `web_options`)."""

from __future__ import annotations

import dataclasses
import inspect
import smtplib
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailtrap import MemoryStore, SMTPServer
from mailtrap.config import Settings
from mailtrap.options import (
    TLS_MODES,
    SMTPOptions,
    open_store,
    serve_options,
    smtp_options,
    web_options,
)
from mailtrap.pytest_plugin.server_options import smtp_options_from
from mailtrap.smtp.tls import Certificates, self_signed, server_context

MAIL = b"From: app@example.com\r\nTo: bob@example.com\r\nSubject: typed\r\n\r\nhi\r\n"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def client_tls(certs: Certificates) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certs.ca))


@pytest.fixture
def running() -> Iterator[Any]:
    servers: list[SMTPServer] = []

    def start(options: SMTPOptions) -> SMTPServer:
        server = dataclasses.replace(options, port=0).server(MemoryStore())
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
        server.check()


def test_smtp_options_mirror_every_smtpserver_argument_and_default() -> None:
    parameters = inspect.signature(SMTPServer).parameters
    server_args = {n: p.default for n, p in parameters.items() if n != "store"}
    option_args = {f.name: f.default for f in dataclasses.fields(SMTPOptions)}
    assert option_args == server_args


def test_starttls_is_offered_and_plain_mail_still_accepted(
    running: Any, certs: Certificates, client_tls: ssl.SSLContext
) -> None:
    server = running(smtp_options(tls="starttls", tls_context=server_context(certs)))
    with smtplib.SMTP(server.host, server.port) as plain:
        assert plain.ehlo()[0] == 250
        assert plain.has_extn("starttls")
        plain.sendmail("app@example.com", ["bob@example.com"], MAIL)
    with smtplib.SMTP("localhost", server.port) as secure:
        secure.starttls(context=client_tls)
        secure.sendmail("app@example.com", ["bob@example.com"], MAIL)
    assert server.store.count() == 2


def test_require_starttls_refuses_plain_mail_with_530(
    running: Any, certs: Certificates, client_tls: ssl.SSLContext
) -> None:
    server = running(smtp_options(tls="require-starttls", tls_context=server_context(certs)))
    with smtplib.SMTP(server.host, server.port) as plain:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            plain.sendmail("app@example.com", ["bob@example.com"], MAIL)
        assert refused.value.smtp_code == 530
    with smtplib.SMTP("localhost", server.port) as secure:
        secure.starttls(context=client_tls)
        secure.sendmail("app@example.com", ["bob@example.com"], MAIL)
    assert server.store.count() == 1


def test_smtps_speaks_tls_from_the_first_byte_and_logins_are_required(
    running: Any, certs: Certificates, client_tls: ssl.SSLContext
) -> None:
    options = smtp_options(tls="smtps", tls_context=server_context(certs), logins={"app": "pw"})
    server = running(options)
    with smtplib.SMTP_SSL("localhost", server.port, context=client_tls) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("app", "wrong")
        with pytest.raises(smtplib.SMTPSenderRefused):  # no login, no mail
            client.sendmail("app@example.com", ["bob@example.com"], MAIL)
        client.login("app", "pw")
        client.sendmail("app@example.com", ["bob@example.com"], MAIL)
    (summary,) = server.store.list().messages
    assert summary.username == "app"


def test_any_login_is_accepted_and_off_keeps_the_base_tls(
    running: Any, certs: Certificates, client_tls: ssl.SSLContext
) -> None:
    base = SMTPOptions(tls_context=server_context(certs), starttls=True)
    server = running(smtp_options(base, tls="off", logins="any"))
    with smtplib.SMTP("localhost", server.port) as client:
        client.starttls(context=client_tls)  # "off" left the base's STARTTLS alone
        client.login("anyone", "anything")
        client.sendmail("app@example.com", ["bob@example.com"], MAIL)
    assert server.store.list().messages[0].username == "anyone"


def test_no_logins_leaves_auth_off(running: Any) -> None:
    server = running(smtp_options(logins={}))
    with smtplib.SMTP(server.host, server.port) as client:
        client.ehlo()
        assert not client.has_extn("auth")


def test_bad_modes_and_keys_name_the_value_and_the_fix(certs: Certificates) -> None:
    with pytest.raises(ValueError, match=r"'tls' is not a TLS mode; use one of off, starttls"):
        smtp_options(tls="tls", tls_context=server_context(certs))
    with pytest.raises(ValueError, match=r"'smtps' needs a tls_context; build one with"):
        smtp_options(tls="smtps")
    with pytest.raises(ValueError, match=r"'idle' is not an SMTPServer argument; use one of"):
        SMTPOptions.from_mapping({"idle": 3})
    assert SMTPOptions.from_mapping({"idle_timeout": 3}).idle_timeout == 3


def _flags(options: SMTPOptions) -> tuple[Any, ...]:
    users = None if options.auth is None else options.auth.users
    return (
        options.tls_context is not None,
        options.starttls,
        options.require_starttls,
        options.implicit_tls,
        options.auth is not None,
        users,
        options.auth_allow_insecure,
    )


@pytest.mark.parametrize("mode", TLS_MODES)
@pytest.mark.parametrize("auth", ["", "any", "app:s3cret"])
def test_the_cli_and_the_plugin_build_the_same_server(
    tmp_path: Path, certs: Certificates, mode: str, auth: str
) -> None:
    """One builder behind both edges: the same TLS mode and logins, given as `mailtrap serve`
    flags or as the plugin's settings, make the same server."""
    settings = Settings(
        smtp_starttls=mode == "starttls",
        smtp_require_starttls=mode == "require-starttls",
        smtps=("127.0.0.1", 0) if mode == "smtps" else None,
        smtp_tls_cert=certs.cert if mode != "off" else None,
        smtp_tls_key=certs.key if mode != "off" else None,
        smtp_auth_accept_any=auth == "any",
        smtp_auth=(auth,) if ":" in auth else (),
        smtp_auth_allow_insecure=mode == "off",
    )
    served = serve_options(settings, tmp_path).listeners
    from_cli = served[-1]  # with --smtps, the SMTPS listener comes after the plain one
    options: dict[str, Any] = {"host": "127.0.0.1", "port": 0, "tls": mode, "auth": auth}
    options["auth_allow_insecure"] = mode == "off"  # else the plugin refuses AUTH without TLS
    from_plugin = smtp_options_from(options, certs if mode != "off" else None)
    assert _flags(from_cli) == _flags(from_plugin)
    if mode == "smtps":  # the plain listener beside it offers no STARTTLS
        assert _flags(served[0])[1:4] == (False, False, False)


def test_serve_options_share_one_chaos_and_find_the_defaults_in_the_data_dir(
    tmp_path: Path,
) -> None:
    settings = Settings(smtp_starttls=True, smtps=("127.0.0.1", 1465), hostname="mx.test")
    served = serve_options(settings, tmp_path)
    plain, smtps = served.listeners
    assert (smtps.host, smtps.port, smtps.implicit_tls) == ("127.0.0.1", 1465, True)
    assert plain.chaos is smtps.chaos is not None  # one rule set for every listener
    assert plain.hostname == smtps.hostname == "mx.test"
    assert served.certificates is not None
    assert served.certificates.cert.parent == tmp_path / "tls"  # generated, and cached there
    assert served.db == tmp_path / "mail.db"
    assert serve_options(Settings(memory=True), tmp_path).db is None
    assert serve_options(Settings(db=tmp_path / "x.db"), tmp_path).db == tmp_path / "x.db"


def test_a_bad_key_fails_before_anything_listens(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("not a key")
    settings = Settings(smtp_tls_cert=key, smtp_tls_key=key)  # used by no listener, yet checked
    with pytest.raises(ValueError, match="cannot use TLS certificate"):
        serve_options(settings, tmp_path)


def test_web_options_answer_to_the_bound_name_but_not_to_every_address(tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text("ops:pw\n")
    named = web_options(
        Settings(http=("mail.box.test", 8025), allowed_hosts=("a.test",), ui_auth_file=users)
    )
    assert named.allowed_hosts == ("a.test", "mail.box.test")
    assert named.passwords.check("ops", "pw")
    for address in ("0.0.0.0", "::"):
        assert web_options(Settings(http=(address, 8025))).allowed_hosts == ()
    with pytest.raises(ValueError, match="cannot read the users file"):
        web_options(Settings(ui_auth_file=tmp_path / "missing"))


def test_allow_internal_http_requests_reaches_the_web_options() -> None:
    """The flag and its variable both end up where the link check reads them."""
    from mailtrap.cli import build_parser, resolve_settings

    assert web_options(Settings()).allow_internal_http_requests is False
    by_env = Settings.from_env({"MAILTRAP_ALLOW_INTERNAL_HTTP_REQUESTS": "yes"})
    assert web_options(by_env).allow_internal_http_requests is True
    args = build_parser().parse_args(["serve", "--allow-internal-http-requests"])
    assert web_options(resolve_settings(args, {})).allow_internal_http_requests is True
    with pytest.raises(ValueError, match="MAILTRAP_ALLOW_INTERNAL_HTTP_REQUESTS: 'maybe'"):
        Settings.from_env({"MAILTRAP_ALLOW_INTERNAL_HTTP_REQUESTS": "maybe"})


def test_open_store_keeps_sqlite_in_a_private_new_directory(tmp_path: Path) -> None:
    store = open_store(tmp_path / "new" / "mail.db", max_messages=5)
    try:
        assert store.describe().path == tmp_path / "new" / "mail.db"
        assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700
    finally:
        store.close()
    memory = open_store(None, max_messages=5)
    assert str(memory.describe()) == "memory (lost on exit)"
