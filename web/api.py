"""REST API v1: Mailpit's paths and shapes. Reading a message never marks it read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from mailtrap.web.schemas import MessageOut, MessagesOut, message_out, summary_out

from mailtrap.errors import MessageNotFound
from mailtrap.storage.base import MessageStore

router = APIRouter(prefix="/api/v1", tags=["messages"])

MAX_LIMIT = 1000


def _store(request: Request) -> MessageStore:
    store: MessageStore = request.app.state.store
    return store


@router.get("/messages", response_model=MessagesOut, summary="List messages, newest first")
def list_messages(
    request: Request,
    start: Annotated[int, Query(ge=0, description="how many messages to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 50,
) -> MessagesOut:
    store = _store(request)
    page = store.list(start=start, limit=limit)
    return MessagesOut(
        total=page.total,
        unread=page.unread,
        count=len(page.messages),
        messages_count=page.total,
        messages_unread=page.unread,
        start=page.start,
        tags=list(store.tags()),
        messages=[summary_out(m) for m in page.messages],
    )


@router.get(
    "/message/{id}",
    response_model=MessageOut,
    summary="One message in full",
    responses={404: {"description": "no message with that ID"}},
)
def get_message(request: Request, id: str) -> MessageOut:
    """`id` may be `latest` for the newest message."""
    store = _store(request)
    if id == "latest":
        newest = store.list(limit=1).messages
        if not newest:
            raise HTTPException(404, "the mailbox is empty, so there is no latest message")
        id = newest[0].id
    try:
        return message_out(store.get(id))
    except MessageNotFound as exc:
        raise HTTPException(404, str(exc)) from None
