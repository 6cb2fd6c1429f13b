"""The REST API's answers as pydantic models: exactly Mailpit's (v1.30.5), field for field.

Typed clients compare whole objects, so a Mailpit-shaped model has no field Mailpit lacks, and
every model forbids undeclared fields (`_Out`). mailtrap's additions live in the `...ExtrasOut`
subclasses, sent only when asked for with `extras=1` (see mailtrap.web.params), and in
mailtrap's own shapes (`EnvelopeOut`, `StoredOut`). Declarations only: building them from
mailtrap's objects is mailtrap.web.shaping; request bodies are in mailtrap.web.inputs. Import
them through mailtrap.web.schemas, whose `__all__` is the public list.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


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
