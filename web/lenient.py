"""Requests as Mailpit takes them, where FastAPI would be stricter.

- A body sent to the API is JSON whatever its `Content-Type` says: Mailpit decodes every
  body as JSON, and clients (curl -d, a fetch with a string body) often send none, or
  `text/plain`, or a form type. FastAPI would refuse those as the wrong kind of body.
  Reading them is no way round the cross-site defences: `Guard` refuses writes by their
  `Origin`, not by their content type.
- `OPTIONS` on the API answers an empty 200, as Mailpit's and MailHog's do; CORS preflights
  (with an `Access-Control-Request-Method`) are answered by the CORS middleware before this.
"""

from __future__ import annotations

from fastapi.responses import PlainTextResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Receive, Scope, Send

from mailtrap.web.paths import route_path

__all__ = ["API_PREFIX", "MailpitRequests"]

API_PREFIX = "/api/"
OPTIONS_PREFIXES = ("/api/v1/", "/api/v2/")  # Mailpit's and MailHog's APIs


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class MailpitRequests:
    """ASGI middleware: an API request whose `Content-Type` is missing or not JSON is passed
    on as `application/json`, so its body is read as JSON (or refused as not being JSON);
    `OPTIONS` under /api/v1/ and /api/v2/ gets an empty 200.

    Not a catch-all OPTIONS route: that would match every path under /api/v1/ for every
    method, turning Starlette's trailing-slash redirects into 405s."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (path := route_path(scope)).startswith(API_PREFIX):
            if scope["method"] == "OPTIONS" and path.startswith(OPTIONS_PREFIXES):
                await PlainTextResponse("")(scope, receive, send)
                return
            headers = MutableHeaders(scope=scope)
            if not _is_json(headers.get("content-type", "")):
                headers["content-type"] = "application/json"
        await self.app(scope, receive, send)
