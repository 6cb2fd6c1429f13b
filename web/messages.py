"""The mailbox as a whole: list, search, mark read, delete. Mailpit's v1 paths and shapes."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, Response

from mailtrap.message.search import parse_query
from mailtrap.storage.base import MessageStore, Page
from mailtrap.web.deps import BAD_QUERY, Store
from mailtrap.web.inputs import DeleteIn, SetReadIn
from mailtrap.web.params import MAX_PAGE, Extras, Paging, Tz
from mailtrap.web.schemas import MessagesExtrasOut, MessagesOut, summary_extras_out, summary_out

router = APIRouter(prefix="/api/v1", tags=["messages"])

MAX_LIMIT = 1000  # of /api/v1/wait (mailtrap's own, strict); Mailpit's routes take any

PageOut = MessagesExtrasOut | MessagesOut


def page_out(
    store: MessageStore, page: Page, *, extras: bool = False, start: int | None = None
) -> PageOut:
    """`page` in Mailpit's shape (with mailtrap's additions to each summary if `extras`);
    `start` reports the start asked for, where the store was given a smaller one."""
    counts = MessagesOut(
        total=store.count(),
        unread=store.count(unread=True),
        count=len(page.messages),
        messages_count=page.total,
        messages_unread=page.unread,
        start=page.start if start is None else start,
        tags=list(store.tags()),
        messages=[],
    )
    if extras:
        return MessagesExtrasOut(
            **counts.model_dump(exclude={"messages"}),
            messages=[summary_extras_out(m) for m in page.messages],
        )
    counts.messages = [summary_out(m) for m in page.messages]
    return counts


@router.get("/messages", summary="List messages, newest first")
def list_messages(store: Store, paging: Paging, extras: Extras = False) -> PageOut:
    """`limit=0` lists every message (up to the page bound), as in Mailpit."""
    page = store.list(start=paging.store_start, limit=paging.store_limit(MAX_PAGE))
    return page_out(store, page, extras=extras, start=paging.start)


@router.get("/search", summary="Search messages, newest first", responses=BAD_QUERY)
def search(
    store: Store,
    query: Annotated[str, Query(description="Mailpit search syntax; see the README")],
    paging: Paging,
    tz: Tz = "",
    extras: Extras = False,
) -> PageOut:
    """`total`/`unread` count the mailbox; `messages_count`/`messages_unread` the matches.
    `limit=0` returns the counts and no messages, as in Mailpit."""
    if not query.strip():
        raise HTTPException(400, "no search query; to list every message use /api/v1/messages")
    parsed = parse_query(query, tz)
    page = store.search(parsed, start=paging.store_start, limit=paging.store_limit(1))
    if paging.limit == 0:
        page = replace(page, messages=())
    return page_out(store, page, extras=extras, start=paging.start)


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
def delete_messages(
    request: Request, store: Store, body: Annotated[DeleteIn | None, Body()] = None
) -> Response:
    """By `IDs`; an empty body or an empty `IDs` deletes every message (MailHog's delete all
    too). Answers `ok`, as Mailpit; to a request with no `Accept` at all an empty 200, as
    MailHog: its npm client sends none and reads any body it gets as JSON, which `ok` is not
    (Mailpit's clients, curl and browsers all send one)."""
    if body is None or not body.IDs:
        store.delete_all()
    else:
        store.delete(body.IDs)
    if "accept" not in request.headers:
        return Response()
    return PlainTextResponse("ok")


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
