"""Mailpit endpoints mailtrap does not have yet: each answers 404 saying what is missing.

Without these routes a client would get FastAPI's bare "Not Found", which reads like a wrong
URL or an unknown message. The ID is not looked up: the feature is missing for every message.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from mailtrap.web.deps import Responses, error

router = APIRouter(prefix="/api/v1/message", tags=["message"])

_MISSING: Responses = {404: error("mailtrap does not have this feature yet")}


def _missing(what: str) -> HTTPException:
    return HTTPException(
        404, f"{what} comes with a later mailtrap issue; this version does not have it"
    )


@router.post(
    "/{id}/release", summary="Release (relay) a message (not yet in mailtrap)", responses=_MISSING
)
def release(id: str) -> None:
    raise _missing(f"Releasing (relaying) a message (POST /api/v1/message/{id}/release)")
