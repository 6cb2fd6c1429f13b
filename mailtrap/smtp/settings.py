"""`SMTPSettings`: where and how an app should send mail to a mailtrap server."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
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
    password: str = field(default="", repr=False)  # a repr ends up in logs and tracebacks

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

    @property
    def flask(self) -> dict[str, Any]:
        """Flask-Mail's and Flask-Mailman's MAIL_* settings, pointed here; pass them to the app
        factory, since both extensions read the config once, in `init_app`.

        `MAIL_SUPPRESS_SEND=False` (Flask-Mail) and `MAIL_BACKEND="smtp"` (Flask-Mailman)
        send for real even with `TESTING=True`, which would otherwise stop Flask-Mail from
        sending and switch Flask-Mailman to its in-memory backend. Each extension ignores the
        other's keys."""
        return {
            "MAIL_SERVER": self.host,
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": self.tls == "starttls",
            "MAIL_USE_SSL": self.tls == "smtps",
            "MAIL_USERNAME": self.username or None,  # None: both skip the login
            "MAIL_PASSWORD": self.password or None,
            "MAIL_SUPPRESS_SEND": False,
            "MAIL_BACKEND": "smtp",
        }
