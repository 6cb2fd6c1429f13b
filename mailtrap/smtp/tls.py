"""TLS for the SMTP sink: contexts from the user's certificate, or a generated, cached one.

With no certificate given, mailtrap makes its own CA (with trustme) and issues a certificate
for localhost, 127.0.0.1 and ::1. The CA is written next to it, so a client can verify the
server instead of switching verification off:
`ssl.create_default_context(cafile=certs.ca)`.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Certificates", "self_signed", "server_context"]

HOSTNAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class Certificates:
    """PEM files: the server's certificate chain and key, and the CA that signed it (None when
    the certificate is the user's own)."""

    cert: Path
    key: Path
    ca: Path | None = None


def self_signed(directory: Path, hostnames: tuple[str, ...] = HOSTNAMES) -> Certificates:
    """A CA and a server certificate for `hostnames` in `directory`, made once and reused."""
    certs = Certificates(directory / "cert.pem", directory / "key.pem", directory / "ca.pem")
    if certs.cert.exists() and certs.key.exists() and certs.ca and certs.ca.exists():
        return certs
    import trustme  # only needed when a certificate is generated

    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    ca = trustme.CA(organization_name="mailtrap development CA")
    issued = ca.issue_cert(*hostnames)
    ca.cert_pem.write_to_path(str(certs.ca))
    issued.private_key_pem.write_to_path(str(certs.key))
    os.chmod(certs.key, 0o600)
    with open(certs.cert, "wb") as chain:
        for blob in issued.cert_chain_pems:
            chain.write(blob.bytes())
    return certs


def server_context(certs: Certificates) -> ssl.SSLContext:
    """A server-side context for `certs`. Raises ValueError naming the file that is wrong."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certs.cert, certs.key)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(
            f"cannot use TLS certificate {certs.cert} with key {certs.key} ({exc}); pass a "
            "PEM certificate and its private key, or neither to have one generated"
        ) from None
    return context
