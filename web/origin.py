"""Same-origin checks for browser-facing endpoints.

A page on another site open in the developer's browser can open a WebSocket to localhost or
send it a form; browsers then send that page's `Origin`. Requests without an `Origin` come
from non-browser clients (curl, test code) and are allowed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from urllib.parse import urlsplit


def origin_allowed(headers: Mapping[str, str], cors: Collection[str]) -> bool:
    """True if the request has no Origin, comes from the server's own origin, or from an
    origin given with `--api-cors`."""
    origin = headers.get("origin")
    if origin is None:
        return True
    if origin in cors:
        return True
    host = headers.get("host", "")
    return bool(host) and urlsplit(origin).netloc.lower() == host.lower()
