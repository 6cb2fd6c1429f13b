"""The mailbox as a whole: list, search, mark read, delete. Mailpit's v1 paths and shapes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.responses import PlainTextResponse

from mailtrap.message.search import parse_query
from mailtrap.storage.base import MAX_START, MessageStore, Page
from mailtrap.web.deps import BAD_QUERY, Store
from mailtrap.web.schemas import DeleteIn, MessagesOut, SetReadIn, summary_out

router = APIRouter(prefix="/api/v1", tags=["messages"])

MAX_LIMIT = 1000
Start = Annotated[int, Query(ge=0, le=MAX_START, description="how many matches to skip")]
Limit = Annotated[int, Query(ge=0, le=MAX_LIMIT, description=f"page size; 0 means {MAX_LIMIT}")]
Tz = Annotated[
    str,
    Query(
        description="IANA time zone (such as Pacific/Auckland) of the dates in `before:` and "
        "`after:` that have no offset; default: the server's. An unknown zone is a 400."
    ),
]


def page_out(store: MessageStore, page: Page) -> MessagesOut:
    total, unread = store.count(), store.count(unread=True)
    return MessagesOut(
        total=total,
        unread=unread,
        count=len(page.messages),
        messages_count=page.total,
        messages_unread=page.unread,
        start=page.start,
        tags=list(store.tags()),
        messages=[summary_out(m) for m in page.messages],
    )


@router.get("/messages", summary="List messages, newest first")
def list_messages(store: Store, start: Start = 0, limit: Limit = 50) -> MessagesOut:
    return page_out(store, store.list(start=start, limit=limit or MAX_LIMIT))


@router.get("/search", summary="Search messages, newest first", responses=BAD_QUERY)
def search(
    store: Store,
    query: Annotated[str, Query(description="Mailpit search syntax; see the README")],
    start: Start = 0,
    limit: Limit = 50,
    tz: Tz = "",
) -> MessagesOut:
    """`total`/`unread` count the mailbox; `messages_count`/`messages_unread` the matches."""
    if not query.strip():
        raise HTTPException(400, "no search query; to list every message use /api/v1/messages")
    parsed = parse_query(query, tz)
    return page_out(store, store.search(parsed, start=start, limit=limit or MAX_LIMIT))


@router.put(
    "/messages",
    response_class=PlainTextResponse,
    summary="Mark messages read or unread",
    responses=BAD_QUERY,
)
def set_read(store: Store, body: SetReadIn, tz: Tz = "") -> str:
    """By `IDs`, or by `Search` query; with neither, every message. Answers `ok`."""
    if body.IDs and body.Search:
        raise HTTPException(400, "give either IDs or Search, not both")
    ids = body.IDs or store.ids(parse_query(body.Search, tz))
    store.mark_read(ids, read=body.Read)
    return "ok"


@router.delete("/messages", response_class=PlainTextResponse, summary="Delete messages")
def delete_messages(store: Store, body: Annotated[DeleteIn | None, Body()] = None) -> str:
    """By `IDs`; an empty body or an empty `IDs` deletes every message. Answers `ok`."""
    if body is None or not body.IDs:
        store.delete_all()
    else:
        store.delete(body.IDs)
    return "ok"


@router.delete(
    "/search",
    response_class=PlainTextResponse,
    summary="Delete the messages a search matches",
    responses=BAD_QUERY,
)
def delete_search(
    store: Store, query: Annotated[str, Query(description="search query")], tz: Tz = ""
) -> str:
    if not query.strip():
        raise HTTPException(
            400, "no search query; to delete everything use DELETE /api/v1/messages"
        )
    store.delete(store.ids(parse_query(query, tz)))
    return "ok"
