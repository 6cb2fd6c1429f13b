"""POST /api/v1/send: build a message from Mailpit's JSON shape and store it as if received."""

from __future__ import annotations

import binascii
import mimetypes
from base64 import b64decode
from email.errors import HeaderParseError
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTPUTF8
from email.utils import formatdate, make_msgid

from fastapi import APIRouter, HTTPException

from mailtrap.message.models import Envelope
from mailtrap.web import send_input
from mailtrap.web.deps import Options, Store, error
from mailtrap.web.inputs import SendAddressIn, SendAttachmentIn, SendIn
from mailtrap.web.schemas import SendOut

router = APIRouter(prefix="/api/v1", tags=["send"])


def _address(a: SendAddressIn, field: str) -> HeaderAddress:
    try:
        return HeaderAddress(display_name=a.Name, addr_spec=a.Email)
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise HTTPException(400, f"{field}: {a.Email!r} is not an email address ({exc})") from None
    except AttributeError:  # CPython's parser trips on some domain literals (cpython#134155)
        raise HTTPException(400, f"{field}: {a.Email!r} is not an email address") from None


# Fields the message's own structure sets; Headers may not overwrite them (as in Mailpit).
_PROTECTED = frozenset(
    {"from", "to", "cc", "bcc", "reply-to", "date", "subject", "content-type", "mime-version"}
)


def _attachment(a: SendAttachmentIn, index: int) -> tuple[bytes, str, str]:
    try:
        # A data: URL prefix is tolerated, as Mailpit does: only what follows the comma counts.
        data = b64decode(a.Content.rpartition(",")[2], validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(
            400, f"Attachments[{index}] ({a.Filename!r}): Content is not valid base64"
        ) from None
    ctype = a.ContentType or mimetypes.guess_type(a.Filename)[0] or "application/octet-stream"
    if ctype.count("/") != 1:
        raise HTTPException(400, f"Attachments[{index}]: {ctype!r} is not a MIME type")
    maintype, subtype = ctype.split("/")
    return data, maintype, subtype


def build(body: SendIn) -> tuple[bytes, Envelope]:
    """The message and envelope a `SendIn` describes. Raises HTTPException(400) on bad input."""
    send_input.check(body)
    if not body.From.Email:
        raise HTTPException(400, "From.Email is empty; the message needs a sender")
    recipients = [a.Email for a in (*body.To, *body.Cc)] + list(body.Bcc)
    if not recipients:
        raise HTTPException(400, "the message needs at least one recipient in To, Cc or Bcc")
    msg = EmailMessage(policy=SMTPUTF8)
    if not any(name.lower() == "return-path" for name in body.Headers):
        # As Mailpit's stored copy: the envelope sender, as a receiving server records it.
        msg["Return-Path"] = f"<{body.From.Email}>"
    msg["From"] = _address(body.From, "From")
    for field, addresses in (("To", body.To), ("Cc", body.Cc), ("Reply-To", body.ReplyTo)):
        if addresses:
            msg[field] = [_address(a, field) for a in addresses]
    if body.Bcc:
        # Mailpit keeps Bcc in the stored message (as a mail client's sent copy does): its
        # /headers, and every parser of the raw source, show whom it was given.
        msg["Bcc"] = [_address(SendAddressIn(Email=bcc), "Bcc") for bcc in body.Bcc]
    msg["Subject"] = body.Subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="mailtrap.localhost")
    if body.Tags:
        msg["X-Tags"] = ", ".join(body.Tags)
    for name, value in body.Headers.items():
        if name.lower() in _PROTECTED or (body.Tags and name.lower() == "x-tags"):
            raise HTTPException(400, f"Headers: cannot overwrite {name}; use its own field")
        try:
            msg[name] = value
        except ValueError as exc:  # e.g. a second Message-ID, or Sender and sender
            raise HTTPException(400, f"Headers: cannot add {name}: {exc}") from None
    msg.set_content(body.Text)
    if body.HTML:
        if body.Text:
            msg.add_alternative(body.HTML, subtype="html")
        else:
            msg.set_content(body.HTML, subtype="html")
    # The HTML part is found once, not per attachment (get_body walks every part: quadratic),
    # and its inline images go first: the first add_related turns that very part into the
    # multipart/related the others join, before add_attachment can wrap it in a mixed one.
    html = msg.get_body(("html",))
    parts = [(item, _attachment(item, index)) for index, item in enumerate(body.Attachments)]
    for item, (data, maintype, subtype) in parts:
        if item.ContentID and html is not None:
            cid = f"<{item.ContentID}>"
            html.add_related(
                data, maintype, subtype, cid=cid, filename=item.Filename, disposition="inline"
            )
    for item, (data, maintype, subtype) in parts:
        if not (item.ContentID and html is not None):
            msg.add_attachment(data, maintype, subtype, filename=item.Filename)
    return msg.as_bytes(), Envelope(body.From.Email, tuple(recipients), peer="api")


@router.post(
    "/send",
    summary="Store a message as if it had arrived over SMTP",
    responses={
        400: error("the message cannot be built"),
        413: error("the message is larger than --max-message-size"),
    },
)
def send(options: Options, store: Store, body: SendIn) -> SendOut:
    """`--max-message-size` applies as over SMTP (0: no limit), to the message as built."""
    raw, envelope = build(body)
    limit = options.max_message_size
    if limit and len(raw) > limit:
        raise HTTPException(
            413,
            f"the message would be {len(raw)} bytes, larger than the server's limit of "
            f"{limit} bytes; send less, or raise the limit with --max-message-size",
        )
    return SendOut(ID=store.add(raw, envelope).id)
