"""`mailtrap sendmail` / `mailtrap-sendmail`: a drop-in for `/usr/sbin/sendmail` that hands the
message on stdin to a mailtrap SMTP server, for programs that pipe mail to sendmail (PHP's
`mail()`, cron, `git send-email`).

The command line is sendmail's (`mailtrap.sendmail_args`); the message is prepared as an MTA's
submission would (`mailtrap.sendmail_message`); this module connects, sends, and turns each
outcome into one line on stderr and a sysexits code: 0 sent, 64 a bad command line, 65 a
message with no recipient, 66 stdin unreadable, 67 every recipient refused, 69 the message
refused (5xx), 75 the server down or deferring (4xx): try again later, as sendmail's callers
expect of 75. Recipients refused beside accepted ones are named on stderr; the exit is 0.
"""

from __future__ import annotations

import os
import smtplib
import socket
import sys
from collections.abc import Mapping, Sequence
from typing import BinaryIO, TextIO

from mailtrap.flags import parse_address
from mailtrap.sendmail_args import EX_USAGE, USAGE, UsageError, parse_args
from mailtrap.sendmail_message import prepare

__all__ = [
    "EX_DATAERR",
    "EX_NOINPUT",
    "EX_NOUSER",
    "EX_TEMPFAIL",
    "EX_UNAVAILABLE",
    "EX_USAGE",
    "main",
    "run",
]

EX_OK = 0
EX_DATAERR = 65
EX_NOINPUT = 66
EX_NOUSER = 67
EX_UNAVAILABLE = 69
EX_TEMPFAIL = 75
ADDRESS_VARIABLE = "MAILTRAP_SMTP_ADDR"
DEFAULT_ADDRESS = "127.0.0.1:1025"
TIMEOUT = 30.0  # seconds for the connection and each SMTP reply: a cron job must not hang


class _Failed(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def run(argv: Sequence[str], environ: Mapping[str, str], stdin: BinaryIO, stderr: TextIO) -> int:
    """Send the message on `stdin` as `argv` (sendmail's arguments) says; return the exit
    code, having said what went wrong, if anything, on `stderr`."""
    try:
        invocation = parse_args(argv)
        if invocation.help:
            print(USAGE, file=stderr)
            return EX_OK
        address_text = invocation.smtp_addr or environ.get(ADDRESS_VARIABLE) or DEFAULT_ADDRESS
        where = "--smtp-addr" if invocation.smtp_addr else ADDRESS_VARIABLE
        try:
            address = parse_address(address_text)
        except ValueError as exc:
            raise UsageError(f"{where}: {exc}") from None
        try:
            data = stdin.read()
        except OSError as exc:
            raise _Failed(EX_NOINPUT, f"cannot read the message from stdin: {exc}") from None
        sender = invocation.sender if invocation.sender is not None else _default_sender(environ)
        message, recipients = prepare(data, invocation, sender)
        if not recipients and not invocation.extract:
            raise UsageError("no recipients: name them as arguments, or pass -t to read them")
        if not recipients:
            raise _Failed(
                EX_DATAERR,
                "no recipients in the To, Cc or Bcc headers (-t) or on the command line",
            )
        refused = _send(address, sender, recipients, message)
        for recipient, (code, reply) in refused.items():  # the others have the message
            print(
                f"mailtrap-sendmail: the server refused {recipient}: {code} {_text(reply)}",
                file=stderr,
            )
    except UsageError as exc:
        print(f"mailtrap-sendmail: {exc}\n{USAGE}", file=stderr)
        return EX_USAGE
    except _Failed as exc:
        print(f"mailtrap-sendmail: {exc}", file=stderr)
        return exc.code
    return EX_OK


def _default_sender(environ: Mapping[str, str]) -> str:
    """sendmail's envelope sender without -f: the user at this host (no DNS lookup)."""
    user = environ.get("LOGNAME") or environ.get("USER") or environ.get("USERNAME") or "nobody"
    return f"{user}@{socket.gethostname() or 'localhost'}"


def _send(
    address: tuple[str, int], sender: str, recipients: list[str], message: bytes
) -> dict[str, tuple[int, bytes]]:
    """Send; return the recipients refused while others were accepted. Raises _Failed."""
    host, port = address
    where = f"mailtrap's SMTP server at {host}:{port}"
    try:
        # local_hostname: smtplib's default asks DNS for this host's name, which can hang.
        with smtplib.SMTP(
            host, port, timeout=TIMEOUT, local_hostname=socket.gethostname() or "localhost"
        ) as smtp:
            smtp.ehlo_or_helo_if_needed()
            options = []
            if not message.isascii() and smtp.has_extn("8bitmime"):
                options.append("BODY=8BITMIME")
            if not all(a.isascii() for a in [sender, *recipients]) and smtp.has_extn("smtputf8"):
                options.append("SMTPUTF8")
            refused = smtp.sendmail(sender, recipients, message, mail_options=options)
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        saying = f"{where} refused every recipient: {code} {_text(reply)}"
        raise _Failed(EX_TEMPFAIL if 400 <= code < 500 else EX_NOUSER, saying) from None
    except smtplib.SMTPResponseException as exc:  # sender or data refused, or a failed EHLO
        saying = f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)}"
        transient = 400 <= exc.smtp_code < 500
        raise _Failed(EX_TEMPFAIL if transient else EX_UNAVAILABLE, saying) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise _Failed(EX_UNAVAILABLE, f"{where}: {exc}") from None
    except (OSError, smtplib.SMTPException) as exc:  # refused, reset, timed out, hung up
        raise _Failed(
            EX_TEMPFAIL,
            f"cannot reach {where} ({exc or type(exc).__name__}); is `mailtrap serve` running "
            f"there? Point --smtp-addr or {ADDRESS_VARIABLE} at its SMTP address",
        ) from None
    return refused


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def main(argv: Sequence[str] | None = None) -> int:
    """The `mailtrap-sendmail` console script."""
    arguments = sys.argv[1:] if argv is None else argv
    return run(arguments, os.environ, sys.stdin.buffer, sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
