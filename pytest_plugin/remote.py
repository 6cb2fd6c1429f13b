"""Remote mode: the `mailtrap` fixture on a running `mailtrap serve` (`--mailtrap-url`).

A login for a server started with `--ui-auth` comes from the URL (`http://user:pass@host`) or
from MAILTRAP_PYTEST_UI_AUTH (`user:pass`, only in the environment, so that a password stays
out of files people commit). No error, repr or traceback shows it: functions that hold it set
`__tracebackhide__`, so even `pytest -l` (locals in tracebacks) never prints their frames.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import cast, get_args
from urllib.parse import urlsplit

import pytest

from mailtrap.client import Client
from mailtrap.config import parse_address
from mailtrap.errors import MailtrapError
from mailtrap.remote import RemoteMailbox, Scope

__all__ = ["LOGIN_VARIABLE", "Remote", "open_mailbox", "remote"]

LOGIN_VARIABLE = "MAILTRAP_PYTEST_UI_AUTH"
_SCOPES: tuple[str, ...] = get_args(Scope)


@dataclass(frozen=True, slots=True)
class Remote:
    """Where the running server is: `client` (its API, with the login), `smtp` (where the
    app under test sends), and the mailboxes' `scope`."""

    client: Client = field(repr=False)
    smtp: tuple[str, int]
    scope: Scope


def remote(setting: Callable[[str], str], environ: Mapping[str, str] = os.environ) -> Remote:
    """The remote server that `setting` (an ini name -> its value, the environment's first)
    names; remote mode only, with `mailtrap_url` set. Raises pytest.UsageError naming a bad
    setting."""
    __tracebackhide__ = True  # the URL and the variable may hold a password
    url = setting("mailtrap_url")
    scope = setting("mailtrap_remote_scope")
    if scope not in _SCOPES:
        raise pytest.UsageError(
            f"mailtrap_remote_scope / MAILTRAP_PYTEST_REMOTE_SCOPE must be one of "
            f"{', '.join(_SCOPES)}, got {scope!r}"
        )
    host = urlsplit(url).hostname or "127.0.0.1"
    smtp = setting("mailtrap_smtp") or f"{host}:1025"
    try:
        address = parse_address(smtp)
    except ValueError as exc:
        raise pytest.UsageError(f"mailtrap_smtp / MAILTRAP_PYTEST_SMTP: {exc}") from None
    return Remote(_client(url, environ.get(LOGIN_VARIABLE, "")), address, cast(Scope, scope))


def _client(url: str, login: str) -> Client:
    __tracebackhide__ = True
    auth = None
    if login:
        user, colon, password = login.partition(":")
        if not colon or not user:
            raise pytest.UsageError(f"{LOGIN_VARIABLE} must be USER:PASSWORD")
        auth = (user, password)
    try:
        return Client(url, auth=auth)
    except ValueError as exc:
        if "give one" in str(exc):
            raise pytest.UsageError(
                f"--mailtrap-url (or mailtrap_url) has a login and {LOGIN_VARIABLE} is set "
                "too: give one"
            ) from None
        raise pytest.UsageError(f"--mailtrap-url / mailtrap_url: {exc}") from None


def open_mailbox(server: Remote, worker: str) -> RemoteMailbox:
    """This test's mailbox on `server`; `worker` is the xdist worker id ("" outside xdist)."""
    __tracebackhide__ = True
    if server.scope == "server" and worker:
        raise pytest.UsageError(
            "mailtrap_remote_scope = server shows each test all of the server's mail and "
            "applies its fail_next rules to every client, so xdist workers would see and "
            "refuse each other's mail; run without -n, or keep the default scope, addresses "
            "(send to mailtrap.address())"
        )
    host, port = server.smtp
    try:
        return RemoteMailbox(server.client, host=host, port=port, scope=server.scope)
    except MailtrapError as exc:
        if getattr(exc, "status", None) != 401:
            raise
        client = server.client
        problem = (
            f"refused the login as {client.username!r}; check the password"
            if client.username
            else f"requires a login (--ui-auth); put it in the URL (--mailtrap-url "
            f"http://USER:PASSWORD@host:port) or in {LOGIN_VARIABLE}=USER:PASSWORD"
        )
        pytest.fail(f"mailtrap at {client.base_url} {problem}", pytrace=False)
