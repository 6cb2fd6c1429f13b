"""JSON shapes of the REST API: Mailpit's v1 field names, so Mailpit clients work unchanged."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from mailtrap.message.models import Address, Attachment, Envelope, Message, MessageSummary
from mailtrap.message.parsing import MAX_TAG_LENGTH, MAX_TAGS
from mailtrap.storage.base import StoredMessage


class AddressOut(BaseModel):
    Name: str
    Address: str


class SummaryOut(BaseModel):
    """One message in a list: never carries bodies. `ReturnPath` and `Date` are mailtrap's
    additions to Mailpit's shape (so mailtrap.Client can rebuild a full summary)."""

    ID: str
    MessageID: str
    Read: bool
    From: AddressOut | None
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
    ReturnPath: str
    Date: datetime | None


class MessagesOut(BaseModel):
    """A page of summaries, newest first. `total`/`unread` count the whole mailbox;
    `messages_count`/`messages_unread` count what matched; `count` is this page's length."""

    total: int
    unread: int
    count: int
    messages_count: int
    messages_unread: int
    start: int
    tags: list[str]
    messages: list[SummaryOut]


class ChecksumsOut(BaseModel):
    MD5: str
    SHA1: str
    SHA256: str


class AttachmentOut(BaseModel):
    PartID: str
    FileName: str
    ContentType: str
    ContentID: str
    Size: int
    Checksums: ChecksumsOut


class ListUnsubscribeOut(BaseModel):
    """The List-Unsubscribe header, its <links>, and List-Unsubscribe-Post."""

    Header: str
    Links: list[str]
    Errors: str
    HeaderPost: str


class EnvelopeOut(BaseModel):
    """What the SMTP session said (mailtrap's addition to Mailpit's shape)."""

    MailFrom: str
    RcptTo: list[str]
    Peer: str
    Helo: str
    TLS: bool
    Login: str | None


class StoredOut(SummaryOut):
    """One message as stored, unparsed: its summary, its envelope and `Raw`, its bytes in
    base64. mailtrap's own (mailtrap.Client parses it once, client-side); not Mailpit's."""

    Envelope: EnvelopeOut
    Raw: str


class MessageOut(BaseModel):
    """One message in full. `Date` is the Date header, or the arrival time without one.
    `Read`, `Created`, `Snippet` and `Envelope` are mailtrap's additions to Mailpit's shape."""

    ID: str
    MessageID: str
    From: AddressOut | None
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
    Read: bool
    Created: datetime
    Snippet: str
    Envelope: EnvelopeOut


def _address(a: Address) -> AddressOut:
    return AddressOut(Name=a.name, Address=a.address)


def _addresses(items: tuple[Address, ...]) -> list[AddressOut]:
    return [_address(a) for a in items]


def _common(s: MessageSummary) -> dict[str, Any]:
    """The fields a summary and a full message share, under Mailpit's names."""
    return {
        "ID": s.id,
        "MessageID": s.message_id,
        "Read": s.read,
        "From": _address(s.sender) if s.sender else None,
        "To": _addresses(s.to),
        "Cc": _addresses(s.cc),
        "Bcc": _addresses(s.bcc),
        "ReplyTo": _addresses(s.reply_to),
        "ReturnPath": s.return_path,
        "Subject": s.subject,
        "Created": s.created,
        "Username": s.username or "",
        "Tags": list(s.tags),
        "Size": s.size,
        "Snippet": s.snippet,
    }


def summary_out(s: MessageSummary) -> SummaryOut:
    return SummaryOut(
        **_common(s),
        Attachments=s.attachment_count,
        Date=s.date,
    )


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


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        **_common(m),
        ListUnsubscribe=_list_unsubscribe(m),
        Date=m.date or m.created,
        Text=m.text,
        HTML=m.html,
        Inline=[_part(a) for a in m.inline],
        Attachments=[_part(a) for a in m.attachments],
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
        **summary_out(stored.summary).model_dump(),
        Envelope=envelope_out(stored.envelope),
        Raw=base64.b64encode(stored.raw).decode("ascii"),
    )


# -- requests and the smaller responses ---------------------------------------------------------


class SetReadIn(BaseModel):
    """PUT /api/v1/messages. `IDs` or `Search` pick the messages; neither means all."""

    IDs: list[str] = []
    Search: str = ""
    Read: bool = False


def _tag(tag: str) -> str:
    # Not StringConstraints: that also refuses a lone surrogate, which /send's own checks
    # name with a 400 (as for every other field).
    if len(tag) > MAX_TAG_LENGTH:
        raise ValueError(f"a tag has at most {MAX_TAG_LENGTH} characters, this one {len(tag)}")
    return tag


# As many tags, as long, as a message may carry (mailtrap.message.parsing): refused, not cut,
# when sent.
TagsIn = Annotated[list[Annotated[str, AfterValidator(_tag)]], Field(max_length=MAX_TAGS)]


class DeleteIn(BaseModel):
    """DELETE /api/v1/messages. No `IDs` (or no body) deletes every message."""

    IDs: list[str] = []


class SetTagsIn(BaseModel):
    """PUT /api/v1/tags: replace the tags of `IDs` with `Tags` (empty removes them all)."""

    IDs: list[str]
    Tags: TagsIn = []


class RuntimeStatsOut(BaseModel):
    Uptime: int
    Memory: int
    MessagesDeleted: int
    SMTPAccepted: int
    SMTPAcceptedSize: int
    SMTPRejected: int
    SMTPIgnored: int


class InfoOut(BaseModel):
    """Mailpit's shape, plus `ServerTime` (mailtrap's addition: the server's clock, which
    remote test mailboxes use to mark "from now on")."""

    Version: str
    LatestVersion: str
    Database: str
    DatabaseSize: int
    Messages: int
    Unread: int
    Tags: dict[str, int]
    RuntimeStats: RuntimeStatsOut
    ServerTime: datetime


class _StrictIn(BaseModel):
    # A key the client sent is never silently dropped: a misspelt "Header" or "Attachment"
    # is a 422 naming it, not a message built without it.
    model_config = ConfigDict(extra="forbid")


class SendAddressIn(_StrictIn):
    Email: str
    Name: str = ""


class SendAttachmentIn(_StrictIn):
    Content: str
    Filename: str
    ContentType: str = ""
    ContentID: str = ""


class SendIn(_StrictIn):
    """POST /api/v1/send: Mailpit's shape. `Content` of an attachment is base64. Unknown keys
    are refused."""

    From: SendAddressIn
    To: list[SendAddressIn] = []
    Cc: list[SendAddressIn] = []
    Bcc: list[str] = []
    ReplyTo: list[SendAddressIn] = []
    Subject: str = ""
    Text: str = ""
    HTML: str = ""
    Attachments: list[SendAttachmentIn] = []
    Headers: dict[str, str] = {}
    Tags: TagsIn = []


class SendOut(BaseModel):
    ID: str
