"""mailtrap's messages in the REST API's shapes (mailtrap.web.outputs), exactly Mailpit's.

Each `..._out` function maps one mailtrap object to its model and nothing else: no I/O, no
state. Mailpit's conventions are kept here: `From` is never null, `Date` falls back to the
arrival time, an HTML-only message's `Text` is its HTML's text, attachments carry MD5, SHA-1
and SHA-256 checksums. `message_out` does real work (checksums, HTML to text): call it from a
worker thread, never on the event loop. Import them through mailtrap.web.schemas.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from mailtrap.message.htmltext import html_to_text
from mailtrap.message.models import Address, Attachment, Envelope, Message, MessageSummary
from mailtrap.storage.base import StoredMessage
from mailtrap.web.outputs import (
    AddressOut,
    AttachmentOut,
    ChecksumsOut,
    EnvelopeOut,
    ListUnsubscribeOut,
    MessageExtrasOut,
    MessageOut,
    StoredOut,
    SummaryExtrasOut,
    SummaryOut,
)


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
