"""A second mailtrap SMTP server as the relay that released mail goes to: it refuses mail
before STARTTLS and AUTH, as a real submission server does, and keeps what it gets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mailtrap import Chaos, MemoryStore, SMTPServer
from mailtrap.relay import RelayConfig
from mailtrap.smtp.auth import Authenticator
from mailtrap.smtp.tls import Certificates, server_context
from mailtrap.storage.base import StoredMessage

__all__ = ["PASSWORD", "USER", "arrived", "relay_to", "target_server", "without_trace"]

USER, PASSWORD = "relay", "s3cret-pass"


@contextmanager
def target_server(certs: Certificates) -> Iterator[SMTPServer]:
    server = SMTPServer(
        MemoryStore(),
        port=0,
        tls_context=server_context(certs),
        require_starttls=True,
        auth=Authenticator({USER: PASSWORD}),
        chaos=Chaos(),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
    server.check()


def relay_to(server: SMTPServer, certs: Certificates, **options: Any) -> RelayConfig:
    """A config for `server`: STARTTLS verified against `certs`' CA, AUTH PLAIN."""
    values: dict[str, Any] = {
        "host": "localhost",
        "port": server.port,
        "starttls": True,
        "ca_file": certs.ca,
        "auth": "plain",
        "username": USER,
        "password": PASSWORD,
        "timeout": 5.0,
    }
    return RelayConfig(**{**values, **options})


def arrived(server: SMTPServer) -> list[StoredMessage]:
    """What `server` got, newest first."""
    return [server.store.stored(m.id) for m in server.store.list().messages]


def without_trace(raw: bytes) -> bytes:
    """`raw` without the Received field the relay prepended (its first, folded, field)."""
    match = re.match(rb"Received: [^\r]*\r\n(?:[ \t][^\r]*\r\n)*", raw)
    assert match, raw[:200]
    return raw[match.end() :]
