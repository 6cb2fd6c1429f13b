"""One message: in full, its headers, its raw source, one of its parts."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from mailtrap.errors import MessageNotFound
from mailtrap.web.deps import NOT_FOUND, Parsed, Store
from mailtrap.web.latest import MessageID
from mailtrap.web.params import Extras
from mailtrap.web.schemas import (
    MessageExtrasOut,
    MessageOut,
    StoredOut,
    message_extras_out,
    message_out,
    stored_out,
)

router = APIRouter(prefix="/api/v1/message", tags=["message"])

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._ -]+")


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback name plus the real one as RFC 5987 `filename*`.

    The fallback keeps only characters that cannot break the header or a path; the client
    is told the full name in UTF-8, percent-encoded."""
    fallback = _UNSAFE_FILENAME.sub("_", filename).strip(" .") or "download"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# What a browser says it is loading (Sec-Fetch-Dest) when it reads a message for a person or a
# program: a page, or fetch(). Anything else (an image, a stylesheet) is no reader.
_READERS = frozenset({"document", "empty"})


@router.get("/{id}", summary="One message in full; marks it read", responses=NOT_FOUND)
def get_message(
    request: Request, store: Store, message: Parsed, id: MessageID, extras: Extras = False
) -> MessageExtrasOut | MessageOut:
    """`id` may be `latest` (with `query`, the newest match). Reading a message marks it read,
    as in Mailpit (clients rely on it), which the inbox hears as an update. `/stored` reads
    one without marking it. Nor does a browser's load of it as an image: a mail shown in the
    inbox's frame may name any URL of ours as an image once remote images are on
    (`pages.mail_html`), and opening it must not mark other mail read."""
    m = message(id)
    if not m.read and request.headers.get("sec-fetch-dest", "empty") in _READERS:
        store.mark_read([m.id])
    return message_extras_out(m) if extras else message_out(m)


@router.get("/{id}/stored", summary="One message as stored, unparsed", responses=NOT_FOUND)
def get_stored(store: Store, id: MessageID) -> StoredOut:
    """`id` may be `latest`. The raw bytes (base64) with the summary (with mailtrap's extras)
    and envelope stored beside them: all that `mailtrap.Client.get` needs to parse the
    message itself, in one request. Does not mark the message read."""
    try:
        return stored_out(store.stored(id))
    except MessageNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/{id}/headers", summary="The message's headers", responses=NOT_FOUND)
def get_headers(message: Parsed, id: MessageID) -> dict[str, list[str]]:
    """As Mailpit gives them: names in canonical form (`Message-Id`), sorted, each with
    every value in order, unfolded but not decoded."""
    headers: dict[str, list[str]] = {}
    for name, value in message(id).raw_headers:
        headers.setdefault(_canonical(name), []).append(value)
    return dict(sorted(headers.items()))


def _canonical(name: str) -> str:
    return "-".join(word.capitalize() for word in name.split("-"))


@router.get(
    "/{id}/raw",
    summary="The message exactly as received",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}, "message/rfc822": {}}}, **NOT_FOUND},
)
def get_raw(
    store: Store,
    id: MessageID,
    dl: Annotated[bool, Query(description="download as an .eml file")] = False,
) -> Response:
    try:
        raw = store.get_raw(id)
    except MessageNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    headers = {"X-Content-Type-Options": "nosniff"}
    if dl:
        headers["Content-Disposition"] = content_disposition("attachment", f"{id}.eml")
        return Response(raw, media_type="message/rfc822", headers=headers)
    # As text, never as HTML: a browser must not render message source as a page.
    return Response(raw, media_type="text/plain; charset=utf-8", headers=headers)


@router.get(
    "/{id}/part/{part_id}",
    summary="One attachment or inline part, decoded",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **NOT_FOUND},
)
def get_part(message: Parsed, id: MessageID, part_id: str) -> Response:
    """The part's bytes with its own content type, always as a download (never rendered)."""
    m = message(id)
    for part in (*m.attachments, *m.inline):
        if part.part_id == part_id:
            name = part.filename or f"part-{part_id}"
            return Response(
                part.data,
                media_type=part.content_type or "application/octet-stream",
                headers={
                    "Content-Disposition": content_disposition("attachment", name),
                    "X-Content-Type-Options": "nosniff",
                },
            )
    raise HTTPException(404, f"message {m.id!r} has no part {part_id!r}")
