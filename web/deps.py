"""Request-scoped access to what `create_app` put on `app.state`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel

from mailtrap.storage.base import MessageStore


def _store(request: Request) -> MessageStore:
    store: MessageStore = request.app.state.store
    return store


Store = Annotated[MessageStore, Depends(_store)]


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
