"""Typed access to what `create_app` gives the routes, and the errors they document.

`create_app` puts one `AppContext` on `app.state`; `app_context` is the only reader of
`app.state`, and routes take what they need as FastAPI dependencies (`Store`, `Options`,
`Hub`, `Context`, `Parsed`), so a route's signature says what it uses and mypy checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from anyio import CapacityLimiter
from fastapi import Depends, HTTPException
from pydantic import BaseModel
from starlette.requests import HTTPConnection

from mailtrap.errors import MessageNotFound
from mailtrap.message.models import Message
from mailtrap.metrics import Metrics
from mailtrap.options import WebOptions
from mailtrap.smtp.chaos import Chaos
from mailtrap.smtp.handler import SMTPStats
from mailtrap.storage.base import MessageStore
from mailtrap.web.hub import EventHub
from mailtrap.web.jimstate import JimState
from mailtrap.web.parsed import ParsedCache

RELAY_SLOTS = 4  # releases talking to the relay at once; more wait their turn


@dataclass(frozen=True, slots=True)
class AppContext:
    """Everything an app's routes share. `smtp_stats` and `chaos` are the SMTP server's
    beside the app (fresh counters and None when there is none); `started` is the app's
    `time.monotonic()` at creation; `parsed` keeps the last few parsed messages for the
    message routes; `relay_slots` bounds the releases waiting on the relay at once, so a hung
    relay holds a few worker threads, never the whole pool the other routes share; `jim` is
    MailHog's chaos monkey (web/mailhog_jim.py); `metrics` is what /metrics reports."""

    store: MessageStore
    options: WebOptions
    hub: EventHub
    smtp_stats: SMTPStats
    chaos: Chaos | None
    started: float
    parsed: ParsedCache
    metrics: Metrics
    relay_slots: CapacityLimiter = field(default_factory=lambda: CapacityLimiter(RELAY_SLOTS))
    jim: JimState = field(default_factory=JimState)


def app_context(connection: HTTPConnection) -> AppContext:
    """The context of the app serving `connection` (a request or a WebSocket)."""
    context = connection.app.state.context
    if not isinstance(context, AppContext):  # only create_app builds apps with these routes
        raise TypeError(f"app.state.context is {context!r}; build the app with create_app")
    return context


def _store(connection: HTTPConnection) -> MessageStore:
    return app_context(connection).store


def _options(connection: HTTPConnection) -> WebOptions:
    return app_context(connection).options


def _hub(connection: HTTPConnection) -> EventHub:
    return app_context(connection).hub


class MessageReader:
    """A route's `message(id)`: message `id` fully parsed (once while cached), or a 404."""

    def __init__(self, context: AppContext) -> None:
        self._context = context

    def __call__(self, id: str) -> Message:
        try:
            return self._context.parsed.message(self._context.store, id)
        except MessageNotFound as exc:
            raise HTTPException(404, str(exc)) from None


def _reader(connection: HTTPConnection) -> MessageReader:
    return MessageReader(app_context(connection))


Context = Annotated[AppContext, Depends(app_context)]
Parsed = Annotated[MessageReader, Depends(_reader)]
Store = Annotated[MessageStore, Depends(_store)]
Options = Annotated[WebOptions, Depends(_options)]
Hub = Annotated[EventHub, Depends(_hub)]


Responses = dict[int | str, dict[str, Any]]


class ErrorOut(BaseModel):
    """Every 4xx from mailtrap: what was wrong and, where it helps, what to do instead."""

    detail: str


def error(description: str) -> dict[str, Any]:
    """An error response for the OpenAPI document: always JSON, whatever the route's own
    media type (FastAPI would document a `model` under a plain-text route's type)."""
    schema = ErrorOut.model_json_schema()
    return {"description": description, "content": {"application/json": {"schema": schema}}}


NOT_FOUND: Responses = {404: error("no message with that ID")}
BAD_QUERY: Responses = {400: error("the search query cannot be parsed")}
