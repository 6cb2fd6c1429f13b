"""404s as a person in a browser should see them: a page in the app's look, with a way back.

A browser page (`/view/{id}` for a message that is gone, or any unknown path a browser
navigates to) gets the HTML page, status 404. Everything a program reads keeps FastAPI's JSON
`{"detail": ...}`: the API (`/api/...`), the mail HTML and parts under `/view/{id}/...`,
Mailpit's `/view/{ID}.html` and `.txt`, static files, and any unknown path asked for without
`text/html` in `Accept` (curl, HTTP clients).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.responses import Response

from mailtrap.web import pages
from mailtrap.web.paths import route_path

__all__ = ["not_found"]

_PROGRAMS = ("/api/", "/static/", "/openapi.json")


def _what(request: Request) -> str | None:
    """What a browser asked for and did not find, if it asked for a page; else None."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        if route.endpoint is pages.view:
            id = request.path_params.get("id", "")
            return f"No message has the ID {id!r}: it may have been deleted, or pruned"
        return None
    path = route_path(request.scope)
    if request.method not in ("GET", "HEAD") or path.startswith(_PROGRAMS):
        return None
    if "text/html" not in request.headers.get("accept", ""):
        return None
    return f"There is no page at {path}"


async def not_found(request: Request, exc: Exception) -> Response:
    """The app's handler of `HTTPException`s: the 404 page where a browser asked for a page,
    FastAPI's own answer otherwise."""
    assert isinstance(exc, HTTPException)  # registered for that class only
    if exc.status_code == 404 and (what := _what(request)) is not None:
        return pages.not_found_page(request, what)
    return await http_exception_handler(request, exc)
