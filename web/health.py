"""Liveness and readiness probes, for scripts and orchestrators that wait on the server."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from mailtrap.web.deps import Store

router = APIRouter(tags=["health"])


@router.get("/livez", response_class=PlainTextResponse, summary="The process is serving HTTP")
def livez() -> str:
    return "ok"


@router.get("/readyz", response_class=PlainTextResponse, summary="The store answers queries")
def readyz(store: Store) -> str:
    store.count()  # raises (500) if the store is broken or closed
    return "ok"
