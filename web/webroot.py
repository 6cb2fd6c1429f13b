"""Serving under a path prefix (`--webroot`), and redirects that survive a reverse proxy.

With `--webroot /mail/` (Mailpit's `MP_WEBROOT`), every page and endpoint lives under
`/mail/`: `/mail/api/v1/messages`, `/mail/view/ID`, `/mail/livez`. The proxy in front passes
the path on unchanged (it does not strip the prefix). `/mail` redirects to `/mail/`, and any
other path answers 404 naming the webroot. Inside, requests follow the ASGI rule: `path` is
the whole path and `root_path` the prefix, so routing and the pages (which build every URL
from `root_path`, see `mailtrap.web.pages`) need nothing else.

Redirects: Starlette writes absolute `Location`s (`http://host/...`, e.g. for a trailing
slash), with the scheme of the hop it was reached by. Behind a proxy that terminates TLS that
is `http`, and the browser would leave HTTPS. Every `Location` naming the request's own Host
is sent as a path instead, which the browser resolves against the address it used. A path with
repeated slashes redirects to the same path with single ones, as in Mailpit.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from mailtrap.web.guard import with_default_headers
from mailtrap.web.paths import route_path

__all__ = ["Webroot"]


class Webroot:
    """ASGI middleware serving `app` under `webroot` (normalized, e.g. "/mail/" or "/"), and
    turning absolute `Location`s that name the request's own host into paths."""

    def __init__(self, app: ASGIApp, webroot: str = "/") -> None:
        self.app = app
        self.prefix = webroot.rstrip("/")  # "" when served at the root

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        if scope["type"] == "http":
            send = _paths_for_own_locations(scope, send)
            if "//" in scope["path"]:
                return await _collapse_slashes(scope, receive, send)
        if not self.prefix:
            return await self.app(scope, receive, send)
        outer = scope.get("root_path", "")  # set when an embedder mounts the app itself
        path = route_path(scope)
        if path.startswith(self.prefix + "/"):
            scope = {**scope, "root_path": outer + self.prefix}
            return await self.app(scope, receive, send)
        await self._outside(scope, receive, send, outer, path)

    async def _outside(
        self, scope: Scope, receive: Receive, send: Send, outer: str, path: str
    ) -> None:
        """The bare prefix redirects to the inbox; anything else is not mailtrap's."""
        if scope["type"] == "websocket":
            reason = f"mailtrap's events are at {outer}{self.prefix}/api/events"
            await WebSocketClose(1008, reason[:120])(scope, receive, send)  # 123 bytes at most
            return
        send = with_default_headers(send)
        if path == self.prefix and scope["method"] in ("GET", "HEAD"):
            query = scope.get("query_string", b"").decode("latin-1")
            target = f"{outer}{self.prefix}/" + (f"?{query}" if query else "")
            await RedirectResponse(target, 302)(scope, receive, send)
            return
        detail = (
            f"{path} is outside mailtrap's webroot {self.prefix}/; "
            f"the inbox is {outer}{self.prefix}/ and the API {outer}{self.prefix}/api/v1/"
        )
        await JSONResponse({"detail": detail}, 404)(scope, receive, send)


async def _collapse_slashes(scope: Scope, receive: Receive, send: Send) -> None:
    """Redirect a path with repeated slashes to the same path with single ones, as Mailpit's
    router does: cypress-mailpit asks for `MAILPIT_URL + "//view/ID.html"`. 308 keeps any
    other method's body (Mailpit's 301 would turn a POST into a GET)."""
    path = re.sub("/{2,}", "/", scope["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    status = 301 if scope["method"] in ("GET", "HEAD") else 308
    send = with_default_headers(send)
    await RedirectResponse(path + (f"?{query}" if query else ""), status)(scope, receive, send)


def _paths_for_own_locations(scope: Scope, send: Send) -> Send:
    """`send`, with a `Location: http://HOST/path` naming this request's Host made `/path`."""
    host = Headers(scope=scope).get("host", "").lower()

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and host:
            message.setdefault("headers", [])
            headers = MutableHeaders(scope=message)
            location = headers.get("location")
            if location is not None:
                headers["location"] = _as_path(location, host)
        await send(message)

    return sending


def _as_path(location: str, host: str) -> str:
    """`location` as a path when it names `host` over HTTP(S); otherwise unchanged."""
    parts = urlsplit(location)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != host:
        return location
    if parts.path.startswith("//"):  # as a path, "//name/..." would name another host
        return location
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return (parts.path or "/") + query + fragment
