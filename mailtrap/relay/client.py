"""`send`: one message to the relay over SMTP, on the calling thread, within timeouts.

stdlib `smtplib` on a worker thread (never on an event loop): every connect, read and write
is bounded by `RelayConfig.timeout`. The message bytes are sent as given (smtplib only
dot-stuffs them and ends them with CRLF when they do not end so already).
"""

from __future__ import annotations

import smtplib
import ssl

from mailtrap.relay.config import RelayConfig

__all__ = ["RelayError", "send"]


class RelayError(Exception):
    """The relay did not take the message. `code` is its SMTP reply code (0: no reply: it could
    not be reached, TLS failed, it timed out); `temporary` whether trying later may work."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code

    @property
    def temporary(self) -> bool:
        return not 500 <= self.code < 600


def _reply(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(said.split())}".strip()


def send(config: RelayConfig, sender: str, recipients: list[str], raw: bytes) -> str:
    """Send `raw` from `sender` to `recipients` through the relay; returns its final reply
    (e.g. "250 2.0.0 Ok: queued"). Blocks for at most a few `config.timeout`s.

    Raises RelayError saying what the relay said (or why it could not be reached), with the
    relay's address; never with the password or secret."""
    where = f"the relay {config.server}"
    try:
        return _session(config, sender, recipients, raw)
    except RelayError as exc:
        raise RelayError(f"{where} refused the message: {exc}", exc.code) from None
    except smtplib.SMTPAuthenticationError as exc:
        said = _reply(exc.smtp_code, exc.smtp_error)
        raise RelayError(
            f"{where} refused AUTH {config.auth.upper()} as {config.username!r}: {said}; check "
            "the relay's username and password (or secret)",
            exc.smtp_code,
        ) from None
    except smtplib.SMTPResponseException as exc:
        said = _reply(exc.smtp_code, exc.smtp_error)
        raise RelayError(f"{where} answered {said}", exc.smtp_code) from None
    except ssl.SSLCertVerificationError as exc:
        raise RelayError(
            f"{where}'s TLS certificate cannot be verified ({exc.verify_message}); trust its CA "
            "with --smtp-relay-ca-file, or skip the check with --smtp-relay-allow-insecure"
        ) from None
    except (TimeoutError, smtplib.SMTPServerDisconnected) as exc:
        # smtplib reports a read that timed out as a disconnection; its cause says which.
        if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
            raise RelayError(f"{where} did not answer within {config.timeout:g}s") from None
        raise RelayError(f"{where} closed the connection: {exc}") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise RelayError(f"{where} does not support it: {exc}") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise RelayError(f"cannot reach {where}: {exc}") from None


def _session(config: RelayConfig, sender: str, recipients: list[str], raw: bytes) -> str:
    context = config.tls_context() if config.tls or config.starttls else None
    client: smtplib.SMTP
    if config.tls:
        client = smtplib.SMTP_SSL(
            config.host, config.port, config.helo, timeout=config.timeout, context=context
        )
    else:
        # local_hostname given: smtplib would otherwise look up this machine's FQDN (DNS).
        client = smtplib.SMTP(config.host, config.port, config.helo, timeout=config.timeout)
    with client:
        client.ehlo()
        if config.starttls:
            client.starttls(context=context)
            client.ehlo()
        if config.auth != "none":
            _login(client, config)
        options: list[str] = []
        if not (sender + "".join(recipients)).isascii() and client.has_extn("smtputf8"):
            options.append("SMTPUTF8")
        if not raw.isascii() and client.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        code, text = client.mail(sender, options)
        if code != 250:
            raise RelayError(f"MAIL FROM:<{sender}> got {_reply(code, text)}", code)
        for recipient in recipients:
            code, text = client.rcpt(recipient)
            if code not in (250, 251):
                raise RelayError(f"RCPT TO:<{recipient}> got {_reply(code, text)}", code)
        code, text = client.data(raw)
        if code != 250:
            raise RelayError(f"the message (DATA) got {_reply(code, text)}", code)
        return _reply(code, text)


def _login(client: smtplib.SMTP, config: RelayConfig) -> None:
    client.user = config.username
    if config.auth == "cram-md5":
        client.password = config.secret
        client.auth("CRAM-MD5", client.auth_cram_md5)
    elif config.auth == "login":
        client.password = config.password
        client.auth("LOGIN", client.auth_login)
    else:
        client.password = config.password
        client.auth("PLAIN", client.auth_plain)
