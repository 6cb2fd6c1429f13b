"""`new_protocol`: the aiosmtpd protocol for one connection, built from an `SMTPServer`'s
settings as they stand when the client connects.

Contract: it reads the server's public settings on every call (a setting changed between
connections applies to the next one; `ProtocolFactory` then builds a new template) and must
run on the server's event loop. It records nothing: an exception propagates to the server,
which keeps it in `errors`. The only warning it hides is aiosmtpd's about AUTH without
STARTTLS, and only while AUTH is on.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import TYPE_CHECKING, Any

from mailtrap._version import __version__
from mailtrap.smtp.protocol import UNLIMITED_LINE_LENGTH, ProtocolFactory, SMTPProtocol

if TYPE_CHECKING:
    from mailtrap.smtp.server import SMTPServer

__all__ = ["new_protocol"]


def new_protocol(protocols: ProtocolFactory, server: SMTPServer) -> SMTPProtocol:
    """A protocol from `protocols` for one new connection to `server`."""
    if server.auth is None:
        # No AUTH, no warning to hide: catch_warnings copies the process's filter list and
        # filterwarnings edits it, on every connection.
        return protocols(**_options(server))
    with warnings.catch_warnings():
        # aiosmtpd warns when it builds a protocol whose AUTH may run without STARTTLS; on
        # SMTPS that is safe, and auth_allow_insecure is an explicit, logged choice.
        warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
        return protocols(**_options(server))


def _options(server: SMTPServer) -> dict[str, Any]:
    size = server.max_message_size
    return {
        "line_length_limit": server.max_line_length or size or UNLIMITED_LINE_LENGTH,
        "hostname": server.hostname,
        "ident": f"mailtrap {__version__}",
        "data_size_limit": size or None,
        "enable_SMTPUTF8": True,
        "decode_data": False,
        "timeout": server.idle_timeout,
        "loop": asyncio.get_running_loop(),
        "tls_context": server.tls_context if server.starttls else None,
        "require_starttls": server.require_starttls,
        **_auth_options(server),
    }


def _auth_options(server: SMTPServer) -> dict[str, Any]:
    if server.auth is None:  # AUTH off: advertise no mechanism at all
        return {"auth_exclude_mechanism": ["PLAIN", "LOGIN", "CRAM-MD5"]}
    return {
        "authenticator": server.auth,
        "auth_required": not server.auth.accept_any,
        # On an SMTPS listener every byte is encrypted; aiosmtpd only knows about STARTTLS and
        # would refuse AUTH there (aiosmtpd #281), so the check is ours to skip.
        "auth_require_tls": not (server.auth_allow_insecure or server.implicit_tls),
    }
