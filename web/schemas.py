"""JSON shapes of the REST API's answers: exactly Mailpit's (v1.30.5), field for field.

Typed clients compare whole objects, so a Mailpit-shaped answer has no field Mailpit lacks.
mailtrap's additions live in the `...ExtrasOut` variants, sent only when asked for with
`extras=1` (see mailtrap.web.params), and in mailtrap's own routes. Request bodies are in
mailtrap.web.inputs.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from mailtrap.message.htmltext import html_to_text
from mailtrap.message.models import Address, Attachment, Envelope, Message, MessageSummary
from mailtrap.storage.base import StoredMessage


class _Out(BaseModel):
    # A field nobody declared can never slip into an answer: typed clients compare whole
    # objects. It also keeps each shape apart from its `extras` variant when FastAPI picks
    # which one a route's answer is.
    model_config = ConfigDict(extra="forbid")


class AddressOut(_Out):
    Name: str
    Address: str


class SummaryOut(_Out):
    """One message in a list, exactly Mailpit's `MessageSummary`: never carries bodies.
    `From` is never null: a message without one has an empty name and address."""

    ID: str
    MessageID: str
    Read: bool
    From: AddressOut
    To: list[AddressOut]
    Cc: list[AddressOut]
    Bcc: list[AddressOut]
    ReplyTo: list[AddressOut]
    Subject: str
    Created: datetime
    Username: str
    Tags: list[str]
    Size: int
    Attachments: int
    Snippet: str


class SummaryExtrasOut(SummaryOut):
    """A summary with mailtrap's additions (`extras=1`): `ReturnPath`, and `Date` (the Date
    header, null without one), so mailtrap.Client can rebuild a full summary."""

    ReturnPath: str
    Date: datetime | None


class MessagesOut(_Out):
    """A page of summaries, newest first, exactly Mailpit's. `total`/`unread` count the whole
    mailbox; `messages_count`/`messages_unread` count what matched; `count` is this page's
    length."""

    total: int
    unread: int
    count: int
    messages_count: int
    messages_unread: int
    start: int
    tags: list[str]
    messages: list[SummaryOut]


class MessagesExtrasOut(MessagesOut):
    """A page whose summaries carry mailtrap's additions (`extras=1`)."""

    messages: list[SummaryExtrasOut]  # type: ignore[assignment]


class ChecksumsOut(_Out):
    MD5: str
    SHA1: str
    SHA256: str


class AttachmentOut(_Out):
    PartID: str
    FileName: str
    ContentType: str
    ContentID: str
    Size: int
    Checksums: ChecksumsOut


class ListUnsubscribeOut(_Out):
    """The List-Unsubscribe header, its <links>, and List-Unsubscribe-Post."""

    Header: str
    Links: list[str]
    Errors: str
    HeaderPost: str


class EnvelopeOut(_Out):
    """What the SMTP session said (mailtrap's, not in Mailpit's shapes)."""

    MailFrom: str
    RcptTo: list[str]
    Peer: str
    Helo: str
    TLS: bool
    Login: str | None


class StoredOut(SummaryExtrasOut):
    """One message as stored, unparsed: its summary (with extras), its envelope and `Raw`, its
    bytes in base64. mailtrap's own (mailtrap.Client parses it once, client-side)."""

    Envelope: EnvelopeOut
    Raw: str


class MessageOut(_Out):
    """One message in full, exactly Mailpit's `Message`. `Date` is the Date header, or the
    arrival time without one; `Text` of an HTML-only message is the HTML's text."""

    ID: str
    MessageID: str
    From: AddressOut
    To: list[AddressOut]
    Cc: list[AddressOut]
    Bcc: list[AddressOut]
    ReplyTo: list[AddressOut]
    ReturnPath: str
    Subject: str
    ListUnsubscribe: ListUnsubscribeOut
    Date: datetime
    Tags: list[str]
    Username: str
    Text: str
    HTML: str
    Size: int
    Inline: list[AttachmentOut]
    Attachments: list[AttachmentOut]


class MessageExtrasOut(MessageOut):
    """A message with mailtrap's additions (`extras=1`): when it arrived (`Created`), its
    `Snippet`, and the SMTP `Envelope`."""

    Created: datetime
    Snippet: str
    Envelope: EnvelopeOut


def _address(a: Address) -> AddressOut:
    return AddressOut(Name=a.name, Address=a.address)


def _addresses(items: tuple[Address, ...]) -> list[AddressOut]:
    return [_address(a) for a in items]


_NOBODY = AddressOut(Name="", Address="")


def _common(s: MessageSummary) -> dict[str, Any]:
    """The fields a summary and a full message share, under Mailpit's names."""
    return {
        "ID": s.id,
        "MessageID": s.message_id,
        "From": _address(s.sender) if s.sender else _NOBODY,
        "To": _addresses(s.to),
        "Cc": _addresses(s.cc),
        "Bcc": _addresses(s.bcc),
        "ReplyTo": _addresses(s.reply_to),
        "Subject": s.subject,
        "Username": s.username or "",
        "Tags": list(s.tags),
        "Size": s.size,
    }


def summary_out(s: MessageSummary) -> SummaryOut:
    """`s` in Mailpit's shape, exactly."""
    return SummaryOut(
        **_common(s),
        Read=s.read,
        Created=s.created,
        Attachments=s.attachment_count,
        Snippet=s.snippet,
    )


def summary_extras_out(s: MessageSummary) -> SummaryExtrasOut:
    """`s` in Mailpit's shape with mailtrap's additions."""
    return SummaryExtrasOut(**summary_out(s).model_dump(), ReturnPath=s.return_path, Date=s.date)


def _part(a: Attachment) -> AttachmentOut:
    data = a.data
    return AttachmentOut(
        PartID=a.part_id,
        FileName=a.filename or a.content_id,
        ContentType=a.content_type,
        ContentID=a.content_id,
        Size=a.size,
        Checksums=ChecksumsOut(
            MD5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
            SHA1=hashlib.sha1(data, usedforsecurity=False).hexdigest(),
            SHA256=hashlib.sha256(data).hexdigest(),
        ),
    )


def _list_unsubscribe(m: Message) -> ListUnsubscribeOut:
    header = m.headers.get("List-Unsubscribe") or ""
    links = re.findall(r"<([^<>]*)>", header)
    errors = "" if links or not header else "no <link> found in List-Unsubscribe"
    post = m.headers.get("List-Unsubscribe-Post") or ""
    return ListUnsubscribeOut(Header=header, Links=links, Errors=errors, HeaderPost=post)


def _text(m: Message) -> str:
    # Mailpit's parser (enmime) gives an HTML-only message the text of its HTML: clients read
    # `Text` for codes and links whatever the sender chose.
    return m.text if m.text or not m.html else html_to_text(m.html).strip()


def message_out(m: Message) -> MessageOut:
    """`m` in Mailpit's shape, exactly. Runs in a worker thread: the HTML's text is work."""
    return MessageOut(
        **_common(m),
        ReturnPath=m.return_path,
        ListUnsubscribe=_list_unsubscribe(m),
        Date=m.date or m.created,
        Text=_text(m),
        HTML=m.html,
        Inline=[_part(a) for a in m.inline],
        Attachments=[_part(a) for a in m.attachments],
    )


def message_extras_out(m: Message) -> MessageExtrasOut:
    """`m` in Mailpit's shape with mailtrap's additions."""
    return MessageExtrasOut(
        **message_out(m).model_dump(),
        Created=m.created,
        Snippet=m.snippet,
        Envelope=envelope_out(m.envelope),
    )


def envelope_out(e: Envelope) -> EnvelopeOut:
    return EnvelopeOut(
        MailFrom=e.mail_from,
        RcptTo=list(e.rcpt_tos),
        Peer=e.peer,
        Helo=e.helo,
        TLS=e.tls,
        Login=e.login,
    )


def stored_out(stored: StoredMessage) -> StoredOut:
    return StoredOut(
        **summary_extras_out(stored.summary).model_dump(),
        Envelope=envelope_out(stored.envelope),
        Raw=base64.b64encode(stored.raw).decode("ascii"),
    )


# -- the smaller responses ----------------------------------------------------------------


class RuntimeStatsOut(_Out):
    Uptime: int
    Memory: int
    MessagesDeleted: int
    SMTPAccepted: int
    SMTPAcceptedSize: int
    SMTPRejected: int
    SMTPIgnored: int


class InfoOut(_Out):
    """Exactly Mailpit's `AppInformation`."""

    Version: str
    LatestVersion: str
    Database: str
    DatabaseSize: int
    Messages: int
    Unread: int
    Tags: dict[str, int]
    RuntimeStats: RuntimeStatsOut


class InfoExtrasOut(InfoOut):
    """With mailtrap's additions (`extras=1`): `ServerTime`, the store's clock, which remote
    test mailboxes use to mark "from now on", and `Instance`, which of the processes sharing
    the store answered (null when it is not shared)."""

    ServerTime: datetime
    Instance: str | None


class SendOut(_Out):
    ID: str
