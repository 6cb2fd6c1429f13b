"""`/api/docs`: Swagger UI for /openapi.json, served entirely from our own origin.

FastAPI's built-in page loads an unpinned swagger-ui bundle from a CDN; that script would run
with full access to the API (and to every message). Here the page, its initializer
(static/docs.js) and Swagger UI itself (the `fastapi-offline` wheel's copy, at
`ASSETS`) come from mailtrap, under a CSP that allows no script from anywhere else.
"""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from mailtrap.web.paths import root_of

router = APIRouter(include_in_schema=False)

ASSETS = "/api/docs/assets"
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
# Every URL starts at the app's root path ({root}: "/" or the --webroot), as in the pages.
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mailtrap API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{root}{assets}/swagger-ui.css">
</head>
<body data-openapi="{root}openapi.json">
<div id="swagger-ui"></div>
<script src="{root}{assets}/swagger-ui-bundle.js"></script>
<script src="{root}static/docs.js"></script>
</body>
</html>
"""


def assets() -> StaticFiles:
    """Swagger UI's JS and CSS as the installed `fastapi-offline` package ships them."""
    return StaticFiles(packages=[("fastapi_offline", "static")])


@router.get("/api/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    page = _PAGE.format(root=html.escape(root_of(request.scope)), assets=ASSETS.lstrip("/"))
    return HTMLResponse(page, headers={"Content-Security-Policy": DOCS_CSP})
