"""`GET /api/v1/message/{ID}/part/{PartID}/thumb`: an image attachment as a 180x120 JPEG.

The picture is made in `mailtrap.web.imaging` (Mailpit's size, fit and quality, and its
bounds). Pillow is imported there, on the first thumbnail, not when the app starts: it costs
about 20 ms that `mailtrap serve` and every test app would pay for a route most never use.
The route is synchronous, so decoding runs on the threadpool, never on the event loop.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from mailtrap.message.models import Attachment
from mailtrap.web.deps import NOT_FOUND, Parsed, error
from mailtrap.web.latest import MessageID
from mailtrap.web.message import content_disposition

router = APIRouter(prefix="/api/v1/message", tags=["message"])


def _part(parts: tuple[Attachment, ...], part_id: str) -> Attachment | None:
    return next((p for p in parts if p.part_id == part_id), None)


@router.get(
    "/{id}/part/{part_id}/thumb",
    summary="A 180x120 JPEG thumbnail of an image attachment",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}},
        **NOT_FOUND,
        422: error("the image is too large to decode"),
    },
)
def get_thumbnail(message: Parsed, id: MessageID, part_id: str) -> Response:
    """`id` may be `latest` (with `query`). A part that is no image gets a blank thumbnail."""
    m = message(id)
    part = _part((*m.attachments, *m.inline), part_id)
    if part is None:
        raise HTTPException(404, f"message {m.id!r} has no part {part_id!r}")
    from mailtrap.web import imaging  # Pillow loads on the first thumbnail, not at start-up

    try:
        jpeg = imaging.thumbnail(part.data, part.content_type)
    except imaging.TooLarge as exc:
        raise HTTPException(422, f"no thumbnail of part {part_id!r}: {exc}") from None
    name = part.filename or part.content_id or f"part-{part_id}"
    return Response(
        jpeg,
        media_type="image/jpeg",
        headers={
            "Content-Disposition": content_disposition("inline", name),
            "X-Content-Type-Options": "nosniff",
        },
    )
