"""`create_app(store, options)`: the ASGI application. No globals: everything hangs off one
`AppContext` on `app.state` (see mailtrap.web.deps), so tests and embedders can build as many
apps as they like."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from mailtrap._version import __version__
from mailtrap.config import Settings
from mailtrap.errors import StoreUnavailable
from mailtrap.message.search import QueryError
from mailtrap.metrics import Metrics
from mailtrap.options import WebOptions, web_options
from mailtrap.smtp.chaos import Chaos
from mailtrap.smtp.handler import SMTPStats
from mailtrap.storage.base import MessageStore
from mailtrap.web import (
    a11ycheck,
    docs,
    events,
    health,
    htmlcheck,
    htmlsource,
    info,
    linkcheck,
    mailhog_events,
    mailhog_jim,
    mailhog_release,
    mailhog_v1,
    mailhog_v2,
    message,
    messages,
    metrics,
    pages,
    release,
    send,
    spamcheck,
    tags,
    thumbnail,
    view,
    wait,
    webui,
)
from mailtrap.web import chaos as chaos_api
from mailtrap.web.deps import AppContext, error
from mailtrap.web.errors import invalid_request
from mailtrap.web.guard import Guard
from mailtrap.web.hub import EventHub
from mailtrap.web.lenient import MailpitRequests
from mailtrap.web.notfound import not_found
from mailtrap.web.parsed import ParsedCache
from mailtrap.web.webroot import Webroot


def create_app(
    store: MessageStore,
    options: WebOptions | Settings | None = None,
    *,
    smtp_stats: SMTPStats | None = None,
    chaos: Chaos | None = None,
    app_metrics: Metrics | None = None,
) -> FastAPI:
    """The web app serving `store`, with `options` (default `WebOptions()`; `Settings` are
    converted with `mailtrap.options.web_options`, which reads any --ui-auth-file). When an
    SMTP server runs beside it, `smtp_stats` feeds /api/v1/info and `chaos` is /api/v1/chaos.
    `app_metrics` is what /metrics reports (default: a fresh `Metrics` of `smtp_stats`); the
    app counts its requests and the store's deletions into it while it runs."""
    if isinstance(options, Settings):
        options = web_options(options)
    options = options or WebOptions()
    hub = EventHub(store)
    mcp_sessions: Callable[[], contextlib.AbstractAsyncContextManager[None]] | None = None
    started = time.monotonic()
    if app_metrics is None:
        app_metrics = Metrics(smtp=[smtp_stats] if smtp_stats else [], started=started)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        hub.start()
        unwatch = app_metrics.watch_store(store)
        try:
            async with mcp_sessions() if mcp_sessions else contextlib.nullcontext():
                yield
        finally:
            unwatch()
            hub.stop()

    app = FastAPI(
        title="mailtrap",
        version=__version__,
        description="A development mail catcher. The v1 API follows Mailpit's.",
        docs_url=None,  # ours (web/docs.py) loads no third-party script
        redoc_url=None,
        lifespan=lifespan,
        # The largest legitimate body is a /send of a maximum-size message, base64 inside
        # JSON; twice the SMTP size limit covers it. 0 (no SMTP limit) means none here either.
        max_body_size=2 * options.max_message_size or None,
    )
    app.state.context = AppContext(
        store=store,
        options=options,
        hub=hub,
        smtp_stats=smtp_stats or SMTPStats(),
        chaos=chaos,
        started=started,
        parsed=ParsedCache(),
        metrics=app_metrics,
    )
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(MailpitRequests)
    if options.api_cors:  # no CORS at all unless asked for
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(options.api_cors),
            allow_methods=["GET", "PUT", "POST", "DELETE", "OPTIONS"],
            allow_headers=["*"],  # as Mailpit: clients send Authorization, for one
        )

    app.add_exception_handler(RequestValidationError, invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, not_found)

    @app.exception_handler(StoreUnavailable)
    async def unavailable(_request: Request, exc: StoreUnavailable) -> JSONResponse:
        # The store's database is down or restarting: say so, and when to try again.
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(QueryError)
    async def bad_query(_request: Request, exc: QueryError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    # view before pages: its /view/{id}.html and /view/latest are not pages' /view/{id}.
    routers = (view, tags, webui, thumbnail, spamcheck, a11ycheck, release)
    for module in (
        *routers,
        health,
        messages,
        message,
        htmlcheck,
        linkcheck,
        info,
        send,
        wait,
        chaos_api,
        events,
        mailhog_v1,
        mailhog_release,
        mailhog_v2,
        mailhog_jim,
        mailhog_events,
        pages,
        htmlsource,
        docs,
        metrics,
    ):
        _document_bad_bodies(module.router)
        app.include_router(module.router)
    if options.mcp_http:
        from mailtrap.web.mcp_http import mount

        mcp_sessions = mount(app, store, hub)
    app.mount("/static", StaticFiles(packages=[("mailtrap.web", "static")]), name="static")
    app.mount(docs.ASSETS, docs.assets(), name="docs-assets")
    # Outermost: refuses before anything runs.
    app.add_middleware(
        Guard,
        allowed_hosts=options.allowed_hosts,
        cors=options.api_cors,
        passwords=options.passwords,
    )
    # Outside the Guard, so its refusals count; inside the Webroot, whose scope (a copy,
    # under a --webroot) is the one the router writes the route it took into.
    app.add_middleware(metrics.HTTPMetrics, metrics=app_metrics)
    # Outside even the Guard: it sees paths below the webroot, as the routes do.
    app.add_middleware(Webroot, webroot=options.webroot)
    return app


def _document_bad_bodies(router: APIRouter) -> None:
    """Every route that takes a JSON body documents the 400 an unreadable one gets
    (mailtrap.web.errors), unless it documents a 400 of its own."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.body_field is not None:
            route.responses.setdefault(
                400,
                error("the body is not JSON, has a key this route does not take, or a bad value"),
            )
