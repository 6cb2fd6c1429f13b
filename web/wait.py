"""A server-side wait: answer as soon as enough messages match a search, or 408.

Test code and CI scripts otherwise poll in a loop (the usual Mailpit recipe), which is either
slow or hammers the server. Here the request is held open and re-checked on every change, and
every couple of seconds.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from mailtrap.message.search import parse_query
from mailtrap.web.deps import BAD_QUERY, Hub, error
from mailtrap.web.messages import MAX_LIMIT, PageOut, page_out
from mailtrap.web.params import Extras

router = APIRouter(prefix="/api/v1", tags=["messages"])

MAX_WAIT = 300.0
RECHECK = 2.0  # seconds


@router.get(
    "/wait",
    summary="Wait until at least `count` messages match `query`",
    responses={
        408: error("fewer than `count` matched within `timeout`"),
        **BAD_QUERY,
    },
)
async def wait(
    hub: Hub,
    *,
    query: Annotated[str, Query(description="search query; empty matches every message")] = "",
    count: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="how many must match")] = 1,
    timeout: Annotated[float, Query(gt=0, le=MAX_WAIT, description="seconds to wait")] = 30.0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 50,
    extras: Extras = False,
) -> PageOut:
    """Answers like `GET /api/v1/search` (newest first) once `count` messages match, or 408.

    To wait only for mail that arrives from now on, add `after:<ISO time>` to the query
    (mailtrap.Client.wait does this for you)."""
    store = hub.store
    parsed = parse_query(query)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        change = hub.next_change()  # taken before searching, so no change slips between
        page = await run_in_threadpool(store.search, parsed, 0, max(limit, count))
        if page.total >= count:
            return await run_in_threadpool(partial(page_out, store, page, extras=extras))
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise HTTPException(
                408,
                f"{page.total} of {count} wanted messages matched {query!r} "
                f"within {timeout:g}s; send the mail first, or wait longer (max {MAX_WAIT:g}s)",
            )
        # Woken by every change, and re-checked every RECHECK seconds regardless: a store
        # shared with other instances hears of their changes by notification, and one lost
        # (in a reconnect) must not leave the waiter asleep until its timeout.
        await hub.changed(min(remaining, RECHECK), change)
