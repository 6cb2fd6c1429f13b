"""`create_app(store, settings)`: the ASGI application. No globals: everything hangs off
`app.state`, so tests and embedders can build as many apps as they like."""

from __future__ import annotations

from fastapi import FastAPI
from mailtrap.web import api, health

from mailtrap import __version__
from mailtrap.config import Settings
from mailtrap.storage.base import MessageStore


def create_app(store: MessageStore, settings: Settings | None = None) -> FastAPI:
    """The web app serving `store`. `settings` defaults to `Settings()`."""
    app = FastAPI(
        title="mailtrap",
        version=__version__,
        description="A development mail catcher. The v1 API follows Mailpit's.",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.store = store
    app.state.settings = settings or Settings()
    app.include_router(health.router)
    app.include_router(api.router)
    return app
