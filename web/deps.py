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


# Extra responses, for the OpenAPI document.
NOT_FOUND: Responses = {404: {"description": "no message with that ID", "model": ErrorOut}}
BAD_QUERY: Responses = {
    400: {"description": "the search query cannot be parsed", "model": ErrorOut}
}
