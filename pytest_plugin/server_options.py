"""The session server's options and store, from the plugin's settings.

`mailtrap_server_options` (the ini settings, or a user's override) is a dict: `tls` and `auth`
go through `mailtrap.options.smtp_options`, as `mailtrap serve`'s flags do, `store` names a
store, and the rest are SMTPServer's arguments. Every problem is a pytest.UsageError naming the
setting to change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest

from mailtrap.options import SMTPOptions, open_store, smtp_options
from mailtrap.smtp.auth import parse_users
from mailtrap.smtp.tls import Certificates, server_context
from mailtrap.storage.base import MessageStore

__all__ = ["open_session_store", "smtp_options_from"]


def smtp_options_from(values: dict[str, Any], certs: Certificates | None) -> SMTPOptions:
    """The `mailtrap_server_options` dict (less `store`) as SMTPOptions: `tls` and `auth` go
    through `smtp_options`, as `mailtrap serve`'s flags do, and the rest are SMTPServer's."""
    values = dict(values)
    tls, auth = values.pop("tls", "off"), values.pop("auth", "")
    logins: dict[str, str] | Literal["any"] = "any" if auth == "any" else {}
    try:
        if auth and auth != "any":
            logins = parse_users(auth.split(","))
    except ValueError as exc:
        raise pytest.UsageError(f"mailtrap_auth / MAILTRAP_PYTEST_AUTH: {exc}") from None
    if tls != "off" and certs is None:
        raise pytest.UsageError(
            f"mailtrap tls is {tls!r}, but the mailtrap_certificates fixture gave no "
            "certificates; return mailtrap.self_signed(directory) from it, or set tls to 'off'"
        )
    try:
        context = server_context(certs) if certs is not None and tls != "off" else None
        options = smtp_options(
            SMTPOptions.from_mapping(values), tls=tls, tls_context=context, logins=logins
        )
    except ValueError as exc:
        raise pytest.UsageError(f"mailtrap_server_options: {exc}") from None
    encrypted = options.starttls or options.require_starttls or options.implicit_tls
    if auth and not encrypted and not options.auth_allow_insecure:
        # aiosmtpd would start, then refuse every message with 530 while never offering AUTH:
        # clients fail with "SMTP AUTH extension not supported", far from the cause.
        raise pytest.UsageError(
            "mailtrap_auth is set but mailtrap_tls is off, and the server never offers AUTH on "
            "plain text (RFC 4954), so no client could log in; set mailtrap_tls = starttls (or "
            "smtps) and log in over TLS with mailtrap.settings.ssl_context(), or "
            "mailtrap_auth_allow_insecure = true (MAILTRAP_PYTEST_AUTH_ALLOW_INSECURE=1)"
        )
    return options


def open_session_store(spec: str | MessageStore, worker: str) -> MessageStore:
    """The store `spec` names ("memory" or a SQLite path, made per xdist `worker`), or
    `spec` itself when it is a store."""
    if not isinstance(spec, str):
        return spec
    if spec == "memory":  # a test session must never lose mail to pruning: no limit
        return open_store(None, max_messages=0)
    path = Path(spec)
    if worker:  # SQLite files are per worker too, so workers never share a writer
        path = path.with_name(f"{path.stem}-{worker}{path.suffix}")
    return open_store(path, max_messages=0)
