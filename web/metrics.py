"""`GET /metrics` (Prometheus's text format) and `HTTPMetrics`, which counts every answer.

/metrics sits behind the Guard like every other route: with `--ui-auth` a scraper logs in
(Prometheus's `basic_auth`), and its host name must be one mailtrap answers to.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailtrap.metrics import Metrics
from mailtrap.web.deps import Context

__all__ = ["UNMATCHED", "HTTPMetrics", "router"]

router = APIRouter(tags=["meta"])

UNMATCHED = "unmatched"  # the route of a request no route took (a 404, or refused before)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "the metrics"}},
    summary="Prometheus metrics",
)
def metrics(context: Context) -> Response:
    """Counters and gauges in Prometheus's text format: SMTP traffic, refusals by reason and
    code, TLS and AUTH outcomes, the store's size and counts, deletions, HTTP requests by
    route and status, webhook and relay outcomes (README, "Metrics")."""
    return Response(context.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


class HTTPMetrics:
    """ASGI middleware counting each HTTP answer by route template, method and status.

    Placed inside `Webroot` (whose scope it shares with the router, which records the route
    it took in `scope["route"]`) and outside the Guard, so refusals are counted too."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status = 500  # what the client gets if the app raises before it answers

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            self.metrics.http_request(route, scope["method"], status)
