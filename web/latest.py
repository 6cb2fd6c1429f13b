"""`latest` as a message ID: the newest message, or with `?query=` the newest match.

Mailpit (`LatestID` in its storage) lets `latest` stand for an ID wherever one appears, and
takes a search query beside it: that is how clients fetch "the latest mail to this user". Here
routes take their ID as `MessageID`, which resolves it before the route runs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query

from mailtrap.message.search import parse_query
from mailtrap.storage.base import MessageStore
from mailtrap.web.deps import Store
from mailtrap.web.params import Tz

__all__ = ["LATEST", "MessageID", "resolve"]

LATEST = "latest"


def resolve(store: MessageStore, id: str, query: str = "", tz: str = "") -> str:
    """`id`, or for `latest` the ID of the newest message (matching `query` if one is given,
    its dates read in zone `tz`). HTTPException 404 when there is none; QueryError (a 400) for
    a query that cannot parse or an unknown zone."""
    if id != LATEST:
        return id
    if query.strip():
        newest = store.search(parse_query(query, tz), limit=1).messages
        if not newest:
            raise HTTPException(404, f"no message matches {query!r}, so there is no latest match")
    else:
        newest = store.list(limit=1).messages
        if not newest:
            raise HTTPException(404, "the mailbox is empty, so there is no latest message")
    return newest[0].id


def _message_id(
    store: Store,
    id: str,
    query: Annotated[
        str,
        Query(
            max_length=1000,
            description="with `latest` as the ID: the newest message this search matches",
        ),
    ] = "",
    tz: Tz = "",
) -> str:
    return resolve(store, id, query, tz)


MessageID = Annotated[str, Depends(_message_id)]
