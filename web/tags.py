"""Renaming and deleting a tag across the mailbox: `PUT`/`DELETE /api/v1/tags/{tag}`.

Mailpit's paths and bodies. Tag names are cleaned as Mailpit cleans them (letters, digits,
spaces, `- _ . @`); tags are one per spelling ignoring case, so renaming `Foo` to `foo` respells
it. Mailpit answers every failure 400; here an unknown tag is 404 and a rename onto another tag
in use 409, each with the reason.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import PlainTextResponse
from pydantic import Field

from mailtrap.errors import TagExists, TagNotFound
from mailtrap.web.deps import Responses, Store, error
from mailtrap.web.inputs import StrictIn

router = APIRouter(prefix="/api/v1", tags=["tags"])


class RenameTagIn(StrictIn):
    """PUT /api/v1/tags/{tag}: the tag's new name. A misspelt key is refused, never ignored."""

    Name: str = Field(description="the new name", examples=["New name"])


_UNKNOWN: Responses = {404: error("no message carries the tag")}


@router.put(
    "/tags/{tag}",
    response_class=PlainTextResponse,
    summary="Rename a tag on every message carrying it",
    responses={
        400: error("nothing of the new name is left once cleaned"),
        409: error("another tag in use already has the new name"),
        **_UNKNOWN,
    },
)
def rename_tag(store: Store, tag: str, body: RenameTagIn) -> str:
    """`tag` is compared ignoring case; answers `ok`."""
    try:
        store.rename_tag(tag, body.Name)
    except TagNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except TagExists as exc:
        raise HTTPException(409, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return "ok"


@router.delete(
    "/tags/{tag}",
    response_class=PlainTextResponse,
    summary="Take a tag off every message carrying it",
    responses=_UNKNOWN,
)
def delete_tag(store: Store, tag: str) -> str:
    """The messages stay; `tag` is compared ignoring case. Answers `ok`."""
    try:
        store.delete_tag(tag)
    except TagNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return "ok"
