"""pytest fixtures: an in-process SMTP sink per session (per xdist worker), a mailbox per test.

Thin by design: the work is in `mailtrap.SMTPServer` and `mailtrap.Mailbox`, which run
without pytest. Importing this module loads pytest and the standard library only; the core
loads when a fixture is first requested (never FastAPI, Jinja2 or uvicorn).

Settings, each an ini option with an environment variable that overrides it:

    mailtrap_host   MAILTRAP_PYTEST_HOST   127.0.0.1
    mailtrap_port   MAILTRAP_PYTEST_PORT   0 (a free port; with a fixed port, xdist worker N
                                           listens on port + N)
    mailtrap_store  MAILTRAP_PYTEST_STORE  memory (or a path for a SQLite file)
    mailtrap_tls    MAILTRAP_PYTEST_TLS    off, starttls, require-starttls or smtps (with a
                                           generated CA: mailtrap.settings.ca/.ssl_context())
    mailtrap_auth   MAILTRAP_PYTEST_AUTH   "any", or USER:PASS,... to require a login
    mailtrap_auth_allow_insecure           false; true offers AUTH without TLS (needed for
        MAILTRAP_PYTEST_AUTH_ALLOW_INSECURE       mailtrap_auth when mailtrap_tls is off)

or override the `mailtrap_server_options` fixture (a dict of SMTPServer arguments plus
`store`, `tls` and `auth`) in a conftest.py. Asking for the fixture of the same name keeps
the settings above, e.g. for a short idle timeout (421 after half a second) and seeded chaos
probabilities:

    @pytest.fixture(scope="session")
    def mailtrap_server_options(mailtrap_server_options):
        return {**mailtrap_server_options, "idle_timeout": 0.5, "chaos": Chaos(seed=42)}

Remote mode: `--mailtrap-url http://host:8025` (ini `mailtrap_url`, env MAILTRAP_PYTEST_URL)
makes `mailtrap` talk to a running `mailtrap serve` instead; the app under test then sends to
`mailtrap_smtp` (env MAILTRAP_PYTEST_SMTP, HOST:PORT, default the URL's host on port 1025).
Each test sees and refuses only mail to its own `address()`es there, unless
`mailtrap_remote_scope` (MAILTRAP_PYTEST_REMOTE_SCOPE) is `server`; see `remote.py`, which
also takes a `--ui-auth` login from the URL or MAILTRAP_PYTEST_UI_AUTH.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

# pytest loads this module in every run: it imports pytest and the standard library only, and
# each fixture the core it needs (a run with no mailtrap fixture never pays for the server).
if TYPE_CHECKING:
    from mailtrap.mailbox import BaseMailbox
    from mailtrap.smtp.server import SMTPServer
    from mailtrap.smtp.settings import SMTPSettings
    from mailtrap.smtp.tls import Certificates

__all__ = [
    "mailtrap",
    "mailtrap_certificates",
    "mailtrap_django",
    "mailtrap_server",
    "mailtrap_server_options",
]

MAILBOX = pytest.StashKey["BaseMailbox"]()  # the test's mailbox, for reports of its failure

_INI = {
    "mailtrap_host": ("MAILTRAP_PYTEST_HOST", "127.0.0.1", "address the SMTP server binds"),
    "mailtrap_port": ("MAILTRAP_PYTEST_PORT", "0", "SMTP port; 0 picks a free one"),
    "mailtrap_store": ("MAILTRAP_PYTEST_STORE", "memory", "'memory' or a SQLite file path"),
    "mailtrap_tls": ("MAILTRAP_PYTEST_TLS", "off", "off, starttls, require-starttls or smtps"),
    "mailtrap_auth": ("MAILTRAP_PYTEST_AUTH", "", "'any', or USER:PASS,... to require AUTH"),
    "mailtrap_auth_allow_insecure": (
        "MAILTRAP_PYTEST_AUTH_ALLOW_INSECURE",
        "false",
        "offer AUTH without TLS (RFC 4954 forbids it; for apps that cannot do TLS)",
    ),
    "mailtrap_loop": (
        "MAILTRAP_PYTEST_LOOP",
        "auto",
        "the server's event loop: auto (uvloop when installed), asyncio or uvloop",
    ),
    "mailtrap_url": ("MAILTRAP_PYTEST_URL", "", "a running mailtrap's URL: remote mode"),
    "mailtrap_smtp": ("MAILTRAP_PYTEST_SMTP", "", "remote mode: where apps send (HOST:PORT)"),
    "mailtrap_remote_scope": (
        "MAILTRAP_PYTEST_REMOTE_SCOPE",
        "addresses",
        "remote mode: what a test sees and refuses, 'addresses' (its own) or 'server'",
    ),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    for name, (env, default, help_text) in _INI.items():
        parser.addini(
            name, f"mailtrap: {help_text} (env {env}; default {default or 'none'})", default=default
        )
    parser.getgroup("mailtrap").addoption(
        "--mailtrap-url",
        metavar="URL",
        default=None,
        help="use the mailtrap server at URL (e.g. http://127.0.0.1:8025, or "
        "http://USER:PASS@host:8025 for one started with --ui-auth) instead of starting one "
        "in-process",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("htmlpath", None):  # pytest-html writes a report: add failed tests' mail
        from mailtrap.pytest_plugin.report import HtmlReport

        config.pluginmanager.register(HtmlReport(), "mailtrap-html-report")


def _setting(config: pytest.Config, name: str) -> str:
    if name == "mailtrap_url" and config.getoption("mailtrap_url"):
        return str(config.getoption("mailtrap_url"))
    env, _, _ = _INI[name]
    value = os.environ.get(env)
    return value if value is not None else str(config.getini(name))


@pytest.fixture(scope="session")
def mailtrap_server_options(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Arguments for the session's SMTPServer, plus `store` ("memory" or a path), `tls` and
    `auth` (the ini settings). Override it to pass any other SMTPServer argument."""
    from mailtrap.flags import parse_bool
    from mailtrap.loops import parse_loop
    from mailtrap.options import TLS_MODES

    port_text = _setting(pytestconfig, "mailtrap_port")
    if not port_text.isdigit():
        raise pytest.UsageError(
            f"mailtrap_port / MAILTRAP_PYTEST_PORT must be a port number, got {port_text!r}"
        )
    port = int(port_text)
    worker = _worker(pytestconfig)
    if port and worker.startswith("gw"):  # one server per worker: keep them apart
        port += int(worker[2:])
    tls = _setting(pytestconfig, "mailtrap_tls")
    if tls not in TLS_MODES:
        raise pytest.UsageError(
            f"mailtrap_tls / MAILTRAP_PYTEST_TLS must be one of {', '.join(TLS_MODES)}, got {tls!r}"
        )
    try:
        insecure = parse_bool(_setting(pytestconfig, "mailtrap_auth_allow_insecure"))
    except ValueError as exc:
        raise pytest.UsageError(
            f"mailtrap_auth_allow_insecure / MAILTRAP_PYTEST_AUTH_ALLOW_INSECURE: {exc}"
        ) from None
    try:
        loop = parse_loop(_setting(pytestconfig, "mailtrap_loop"))
    except ValueError as exc:
        raise pytest.UsageError(f"mailtrap_loop / MAILTRAP_PYTEST_LOOP: {exc}") from None
    return {
        "host": _setting(pytestconfig, "mailtrap_host"),
        "port": port,
        "store": _setting(pytestconfig, "mailtrap_store"),
        "tls": tls,
        "auth": _setting(pytestconfig, "mailtrap_auth"),
        "auth_allow_insecure": insecure,
        "loop": loop,
    }


@pytest.fixture(scope="session")
def mailtrap_certificates(
    mailtrap_server_options: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Certificates | None:
    """The session server's certificates (a generated CA and certificate), when TLS is on;
    `mailtrap.settings.ca` / `.ssl_context()` let a client verify the server with them."""
    if mailtrap_server_options.get("tls", "off") == "off":
        return None
    from mailtrap.smtp.tls import self_signed

    return self_signed(tmp_path_factory.mktemp("mailtrap-tls"))


def _worker(config: pytest.Config) -> str:
    """This process's xdist worker id ("gw0", ...), or "" when not a worker. Read from the
    config, as pytest-django does: the environment variable leaks into pytest runs that a
    worker starts itself (pytester), which are not workers."""
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    return str(workerinput.get("workerid", ""))


@pytest.fixture(scope="session")
def mailtrap_server(
    pytestconfig: pytest.Config,
    mailtrap_server_options: dict[str, Any],
    mailtrap_certificates: Certificates | None,
) -> Iterator[SMTPServer]:
    """A running SMTP server for the whole session (one per xdist worker)."""
    from mailtrap.pytest_plugin.server_options import open_session_store, smtp_options_from
    from mailtrap.smtp.server import PortInUse

    options = dict(mailtrap_server_options)
    spec = options.pop("store", "memory")
    smtp = smtp_options_from(options, mailtrap_certificates)  # refuses bad options before a store
    store = open_session_store(spec, _worker(pytestconfig))
    try:
        server = smtp.server(store)
        server.start()
    except PortInUse as exc:
        store.close()
        fix = "stop it, or set mailtrap_port (MAILTRAP_PYTEST_PORT) to another port, or to 0 "
        fix += "for a free one (xdist worker N listens on mailtrap_port + N)"
        raise PortInUse(exc.host, exc.port, fix) from None
    except Exception:
        store.close()
        raise
    try:
        yield server
    finally:
        server.stop()
        store.close()


@pytest.fixture
def mailtrap(request: pytest.FixtureRequest) -> Iterator[BaseMailbox]:
    """This test's mailbox: the mail that arrives during the test, and ways to wait for it.

    In-process by default; with `--mailtrap-url`, on that server, through its API."""
    from mailtrap.mailbox import Mailbox

    if _setting(request.config, "mailtrap_url"):  # remote mode: its modules load only then
        from mailtrap.pytest_plugin.remote import open_mailbox, remote

        config = request.config
        remote_box = open_mailbox(remote(lambda name: _setting(config, name)), _worker(config))
        request.node.stash[MAILBOX] = remote_box
        try:
            yield remote_box
        finally:
            remote_box.close()
        return
    server: SMTPServer = request.getfixturevalue("mailtrap_server")
    certs: Certificates | None = request.getfixturevalue("mailtrap_certificates")
    errors_before, connections_before = len(server.errors), server.handler.connections
    mailbox = Mailbox(
        server.store,
        host=server.host,
        port=server.port,
        chaos=server.chaos,
        settings=_settings(server, certs),
    )
    request.node.stash[MAILBOX] = mailbox
    try:
        yield mailbox
    finally:
        mailbox.close()
    if server.handler.active or server.handler.connections != connections_before:
        server.settle()  # what this test's clients sent is dealt with: its errors are in
    errors = server.errors[errors_before:]
    if errors:  # a failure caused by what was sent during this test fails this test
        pytest.fail(f"the mailtrap SMTP server failed during this test: {errors[0]!r}")


def _settings(server: SMTPServer, certs: Certificates | None) -> SMTPSettings:
    from mailtrap.smtp.settings import SMTPSettings

    tls = "smtps" if server.implicit_tls else "starttls" if server.starttls else "off"
    user, password = "", ""
    if server.auth is not None and server.auth.users:
        user, password = next(iter(server.auth.users.items()))
    return SMTPSettings(
        server.host,
        server.port,
        tls,  # type: ignore[arg-type]
        certs.ca if certs else None,
        user,
        password,
    )


@pytest.fixture
def mailtrap_django(mailtrap: BaseMailbox) -> Iterator[BaseMailbox]:
    """`mailtrap`, with Django's SMTP email backend pointed at it for this test.

    Django's test runner swaps in the in-memory `locmem` backend; this puts the real SMTP
    backend back, aimed at the session's server, so mail goes through SMTP as in production.
    Over TLS it is `mailtrap.pytest_plugin.django.EmailBackend`, which trusts the session's
    CA (Django has no setting for one).
    """
    try:
        from django.test.utils import override_settings
    except ImportError:  # pragma: no cover - depends on the user's environment
        pytest.fail("the mailtrap_django fixture needs Django: pip install django")
    overrides = dict(mailtrap.settings.django)
    if mailtrap.settings.ca is not None:
        overrides["EMAIL_BACKEND"] = "mailtrap.pytest_plugin.django.EmailBackend"
        overrides["MAILTRAP_CA_FILE"] = str(mailtrap.settings.ca)
    with override_settings(**overrides):
        yield mailtrap
