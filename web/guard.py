"""Browser-facing defences for every request, HTTP and WebSocket alike.

- DNS rebinding: a page on evil.example can re-point its own name at 127.0.0.1 and then talk
  to mailtrap as "same origin". Requests are served only when the Host header names mailtrap
  as the user knows it: localhost, a loopback address, the address it was bound to, or a name
  given with `--allowed-hosts`.
- Logins: with `--ui-auth`/`--ui-auth-file`, every request but the health probes needs HTTP
  Basic credentials (browsers send them on the event socket too); see mailtrap.web.login.
- Cross-site reads: a page on another site may not read the mailbox, not even through timing
  or an `<img>`: see mailtrap.web.fetch_metadata. Every response says
  `Cross-Origin-Resource-Policy: same-origin` (browsers then hand no other site our answers,
  for those that send no Fetch Metadata) and `Cross-Origin-Opener-Policy: same-origin` (a
  site that opens the inbox in a window gets no handle on it to count frames or time loads).
- Cross-site writes: another site open in the same browser can send forms and fetches to
  localhost. A request that changes state (anything but GET/HEAD/OPTIONS) or opens a
  WebSocket is refused when its `Origin` is neither mailtrap's own nor one from `--api-cors`.
  Clients that send no Origin (curl, test code, other servers) are not browsers' victims.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from mailtrap.smtp.auth import Passwords
from mailtrap.web.fetch_metadata import cross_site_problem
from mailtrap.web.login import Logins
from mailtrap.web.origin import origin_allowed
from mailtrap.web.paths import route_path

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_PATHS = frozenset({"/livez", "/readyz"})  # probes need no login (under any --webroot)
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
# On every HTTP response, the Guard's own refusals included, unless a handler set its own:
# other sites get no handle on our answers or windows (see above), no type is sniffed, no
# Referer leaves, and no other site may frame a page.
DEFAULT_HEADERS = {
    "cross-origin-resource-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": "frame-ancestors 'self'",
}


def host_name(host: str) -> str:
    """The name part of a Host header: "[::1]:8025" -> "::1", "localhost:80" -> "localhost"."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Guard:
    """ASGI middleware refusing rebound Hosts and cross-site requests with a 403 that says why,
    and requests without a login (when one is set) with a 401.

    `allowed_hosts`: names to answer to besides the loopback ones (`*`: any); `cors`: origins
    whose pages may use the API (`--api-cors`); `passwords`: the logins required (none when
    empty or None)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Iterable[str] = (),
        cors: Collection[str] = (),
        passwords: Passwords | None = None,
    ) -> None:
        self.app = app
        hosts = tuple(allowed_hosts)
        self.any_host = "*" in hosts
        self.allowed = LOOPBACK_NAMES | {host_name(h) for h in hosts}
        self.cors = frozenset(cors)
        self.logins = Logins(passwords or Passwords({}))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        if scope["type"] == "http":
            send = with_default_headers(send)
        headers = Headers(scope=scope)
        problem = self._problem(scope, headers)
        if problem is not None:
            return await _refuse(scope, receive, send, 403, problem)
        if not await self._logged_in(scope, headers):
            challenge = {"WWW-Authenticate": 'Basic realm="mailtrap", charset="UTF-8"'}
            detail = "this mailtrap requires a login (HTTP Basic)"
            return await _refuse(scope, receive, send, 401, detail, headers=challenge)
        return await self.app(scope, receive, send)

    async def _logged_in(self, scope: Scope, headers: Headers) -> bool:
        if not self.logins or route_path(scope) in OPEN_PATHS:
            return True
        if self.cors and scope.get("method") == "OPTIONS":
            return True  # browsers send CORS preflights without credentials (as Mailpit)
        return await self.logins.allows(headers.get("authorization", ""))

    def _problem(self, scope: Scope, headers: Headers) -> str | None:
        # Every Host header, not just the first: uvicorn on h11 answers 400 to a request with
        # two, but on httptools it passes both on, and "127.0.0.1" first let "evil.example" in.
        for host in headers.getlist("host") or [""]:
            if not self.any_host and host_name(host) not in self.allowed:
                return (
                    f"Host {host!r} is not one of mailtrap's names; if you reach mailtrap by "
                    f"that name on purpose, start it with --allowed-hosts "
                    f"{host_name(host) or 'NAME'}"
                )
        cross_site = cross_site_problem(scope, headers, self.cors)
        if cross_site is not None:
            return cross_site
        writes = scope["type"] == "websocket" or scope.get("method", "GET") not in SAFE_METHODS
        if writes and not origin_allowed(headers, self.cors):
            return (
                f"cross-origin request from {headers.get('origin')!r} refused; to let a page on "
                "that origin use the API, start mailtrap with --api-cors ORIGIN"
            )
        return None


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
) -> None:
    """Answer `detail` as JSON with `status`; a WebSocket is closed with 1008 and the reason."""
    if scope["type"] == "websocket":
        await WebSocketClose(1008, detail[:120])(scope, receive, send)
        return
    await JSONResponse({"detail": detail}, status, headers)(scope, receive, send)


def with_default_headers(send: Send) -> Send:
    """`send`, adding each of DEFAULT_HEADERS to the response unless it has its own."""

    async def with_defaults(message: Message) -> None:
        if message["type"] == "http.response.start":
            message.setdefault("headers", [])
            headers = MutableHeaders(scope=message)
            for name, value in DEFAULT_HEADERS.items():
                headers.setdefault(name, value)
        await send(message)

    return with_defaults
