"""Django's SMTP email backend, verifying the server with a CA file Django cannot name.

Django has settings for a client certificate (`EMAIL_SSL_CERTFILE`, `EMAIL_SSL_KEYFILE`) but
none for the CA that signed the server's, so against mailtrap's generated certificate its
STARTTLS and SSL connections fail verification. `mailtrap_django` names this backend and
sets `MAILTRAP_CA_FILE` when the session's server speaks TLS. Django imports this module (by
its dotted path) only then, so nothing else ever loads Django through mailtrap.
"""

from __future__ import annotations

import ssl
from functools import cached_property

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as SMTPEmailBackend

__all__ = ["EmailBackend"]


class EmailBackend(SMTPEmailBackend):  # type: ignore[misc]  # Django is untyped here
    """Django's SMTP backend, which also trusts the CA file in the `MAILTRAP_CA_FILE`
    setting (besides the system's CAs), verifying the server's certificate and name."""

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        # Django's own (5.0+) context, so a client certificate still applies. Django 4.2
        # has none: its starttls() does not verify at all, and this is never asked for.
        context: ssl.SSLContext = super().ssl_context
        cafile = getattr(settings, "MAILTRAP_CA_FILE", None)
        if cafile:
            context.load_verify_locations(cafile=cafile)
        return context
