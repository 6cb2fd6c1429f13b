"""Liveness and readiness probes, for scripts and orchestrators that wait on the server."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

router = APIRouter(tags=["health"])


@router.get("/livez", response_class=PlainTextResponse, summary="The process is serving HTTP")
def livez() -> str:
    return "ok"


@router.get("/readyz", response_class=PlainTextResponse, summary="The store answers queries")
def readyz(request: Request) -> str:
    request.app.state.store.count()  # raises (500) if the store is broken or closed
    return "ok"
