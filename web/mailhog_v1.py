"""MailHog's v1 routes for one message, under `/api/v1/messages/{ID}` (MailHog's plural path;
Mailpit's are under `/api/v1/message/{ID}`). The ID is mailtrap's, as every API gives it, and
may be `latest`, as in Mailpit's routes.

`GET /api/v1/messages` (the list) stays Mailpit's, and `DELETE /api/v1/messages` deletes every
message for both APIs (mailtrap.web.messages).
"""

from __future__ import annotations

import binascii
import re
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from mailtrap.errors import MessageNotFound
from mailtrap.web.deps import NOT_FOUND, Store
from mailtrap.web.latest import MessageID
from mailtrap.web.mailhog_shape import mailhog_stored
from mailtrap.web.message import content_disposition

router = APIRouter(prefix="/api/v1/messages", tags=["mailhog"])


@router.get("/{id}", summary="MailHog: one message in MailHog's shape", responses=NOT_FOUND)
def get_message(store: Store, id: MessageID) -> Any:
    """As an item of `/api/v2/messages`. Unlike Mailpit's route, it does not mark it read:
    MailHog had no read state."""
    return mailhog_stored(store, id)


@router.delete(
    "/{id}", summary="MailHog: delete one message", response_class=Response, responses=NOT_FOUND
)
def delete_message(store: Store, id: MessageID) -> Response:
    """An empty 200, as MailHog answers (its npm client reads any body as JSON)."""
    if not store.delete([id]):
        raise HTTPException(404, f"no message with ID {id!r}")
    return Response()


@router.get(
    "/{id}/download",
    summary="MailHog: the message as an .eml download",
    response_class=Response,
    responses={200: {"content": {"message/rfc822": {}}}, **NOT_FOUND},
)
def download(store: Store, id: MessageID) -> Response:
    """The raw bytes exactly as stored (MailHog rebuilt them from its parsed headers, which
    lost their order); the same bytes as `/api/v1/message/{ID}/raw`."""
    try:
        raw = store.get_raw(id)
    except MessageNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(
        raw,
        media_type="message/rfc822",
        headers={
            "Content-Disposition": content_disposition("attachment", f"{id}.eml"),
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/{id}/mime/part/{index}/download",
    summary="MailHog: one MIME part, as a download",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **NOT_FOUND},
)
def download_part(store: Store, id: MessageID, index: int) -> Response:
    """Part `index` of the message's `MIME.Parts` (0 is the first, as MailHog counts them),
    base64 decoded when its Content-Transfer-Encoding says base64, with its own Content-Type.
    Always a download, never rendered; unlike MailHog, no other header of the part is copied
    onto the response (a mail must not set our headers)."""
    parts = (mailhog_stored(store, id)["MIME"] or {}).get("Parts") or []
    if not 0 <= index < len(parts):
        raise HTTPException(
            404, f"message {id!r} has {len(parts)} MIME parts (0 to {len(parts) - 1}), not {index}"
        )
    headers = {name.lower(): values[0] for name, values in parts[index]["Headers"].items()}
    body = parts[index]["Body"].encode()
    if headers.get("content-transfer-encoding", "").strip().lower() == "base64":
        body = _base64(body)
    return Response(
        body,
        media_type=headers.get("content-type") or "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition("attachment", f"{id}-part-{index}"),
            "X-Content-Type-Options": "nosniff",
        },
    )


_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


def _base64(text: bytes) -> bytes:
    """`text` base64 decoded as far as it goes: a malformed part still downloads (what
    decodes of it), never a 500."""
    digits = _NOT_BASE64.sub(b"", text)
    if len(digits) % 4 == 1:  # a lone last digit holds no whole byte
        digits = digits[:-1]
    return binascii.a2b_base64(digits + b"=" * (-len(digits) % 4))
