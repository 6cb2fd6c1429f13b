"""The message `mailtrap-sendmail` read, made ready for SMTP as an MTA's submission would be.

- Without `-i`, a line holding only "." ends the message (sendmail's default).
- Line ends become CRLF: programs write bare LFs and SMTP wants CRLF. smtplib converts str
  messages but sends bytes as they are, and bytes are what keep a message's 8-bit text
  intact. (smtplib does the dot-stuffing, on either line end.)
- With `-t`, the To, Cc and Bcc headers' addresses join the command line's recipients, and
  the Bcc fields are removed, as sendmail and Postfix do: the mail caught is the mail a real
  recipient would get.
- A message without a From, Date or Message-ID field gets one, as Postfix's cleanup adds
  them: PHP's `mail()` and cron send none of the last two.

Everything else in the header, and the body, goes out byte for byte.
"""

from __future__ import annotations

import re
import socket
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import formataddr, formatdate, getaddresses, make_msgid

from mailtrap.sendmail_args import Invocation

__all__ = ["prepare"]

_LONE_DOT = re.compile(rb"^\.\r?$", re.MULTILINE)
_LINE_END = re.compile(rb"\r\n|\r(?!\n)|\n")
_FIELD = re.compile(rb"[!-9;-~]+[ \t]*:")
_RECIPIENT_FIELDS = ("to", "cc", "bcc")


def prepare(data: bytes, invocation: Invocation, sender: str) -> tuple[bytes, list[str]]:
    """The message to send and its envelope recipients, from the bytes read on stdin."""
    if not invocation.ignore_dots and (end := _LONE_DOT.search(data)):
        data = data[: end.start()]
    data = _LINE_END.sub(b"\r\n", data)
    fields, body = _split(data)
    header = BytesHeaderParser(policy=compat32).parsebytes(b"".join(fields) + b"\r\n")
    recipients = list(invocation.recipients)
    if invocation.extract:
        values = [str(v) for name in _RECIPIENT_FIELDS for v in header.get_all(name) or ()]
        recipients += [address for _, address in getaddresses(values) if address]
        fields = [f for f in fields if _name(f) != b"bcc"]
    added = []
    if header["from"] is None and sender:
        added.append(f"From: {formataddr((invocation.full_name, sender))}")
    if header["date"] is None:
        added.append(f"Date: {formatdate(localtime=True)}")
    if header["message-id"] is None:
        domain = sender.rpartition("@")[2] or socket.gethostname() or "localhost"
        # make_msgid's own default domain is a DNS lookup of this host's name.
        added.append(f"Message-ID: {make_msgid(domain=domain)}")
    new = [f"{line}\r\n".encode() for line in added]
    return b"".join([*fields, *new, body]), list(dict.fromkeys(recipients))


def _split(data: bytes) -> tuple[list[bytes], bytes]:
    """The header's fields (each with its folded lines and CRLFs) and the rest, which begins
    with the blank line. A header ended by a line that is no field (a message with no blank
    line after it, or no header at all) gets the blank line it lacked."""
    fields: list[bytes] = []
    position = 0
    while position < len(data):
        end = data.find(b"\r\n", position)
        end = len(data) if end < 0 else end + 2
        line = data[position:end]
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        elif _FIELD.match(line):
            fields.append(line if line.endswith(b"\r\n") else line + b"\r\n")
        else:
            break
        position = end
    rest = data[position:]
    return fields, rest if rest.startswith(b"\r\n") else b"\r\n" + rest


def _name(field: bytes) -> bytes:
    return field.partition(b":")[0].strip().lower()
