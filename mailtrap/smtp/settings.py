"""`SMTPSettings`: where and how an app should send mail to a mailtrap server."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = ["SMTPSettings"]


@dataclass(frozen=True, slots=True)
class SMTPSettings:
    """Ready-made settings for apps and frameworks. `tls` is "off", "starttls" or "smtps";
    `ca` is the CA file that verifies the server's certificate; `username`/`password` are a
    login the server accepts, when it asks for one."""

    host: str
    port: int
    tls: Literal["off", "starttls", "smtps"] = "off"
    ca: Path | None = None
    username: str = ""
    password: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port}

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "smtps" if self.tls == "smtps" else "smtp"
        return f"{scheme}://{host}:{self.port}"

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that verifies the server with `ca` (or the system's CAs)."""
        return ssl.create_default_context(cafile=str(self.ca) if self.ca else None)

    @property
    def django(self) -> dict[str, Any]:
        """Django's EMAIL_* settings for the SMTP backend, pointed here."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": self.username,
            "EMAIL_HOST_PASSWORD": self.password,
            "EMAIL_USE_TLS": self.tls == "starttls",
            "EMAIL_USE_SSL": self.tls == "smtps",
        }
