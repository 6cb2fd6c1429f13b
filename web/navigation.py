"""Where a message sits in the list it was opened from: its neighbours and the way back.

The inbox links each message with the list it is shown in (`q`, the search, `start`, the
first row of the page, and `limit`, its rows a page), so the message page's Older/Newer walk
that list, not the whole mailbox, and "← Inbox", Mark unread and Delete return to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from mailtrap.errors import MessageNotFound
from mailtrap.message.search import QueryError
from mailtrap.storage.base import MessageStore, Page

__all__ = ["DEFAULT_PAGE_SIZE", "PAGE_SIZES", "Place", "list_query", "place", "tag_query"]

PAGE_SIZES = (25, 50, 100, 200)  # the choices the inbox offers; any other is refused
DEFAULT_PAGE_SIZE = 50


def list_query(q: str, start: int, limit: int = DEFAULT_PAGE_SIZE) -> str:
    """The query string of the list page `(q, start, limit)`: "" for the inbox's first page
    at the default size, so its URLs stay bare."""
    given = {"q": q, "start": max(0, start), "limit": 0 if limit == DEFAULT_PAGE_SIZE else limit}
    return urlencode({k: v for k, v in given.items() if v})


def tag_query(tag: str) -> str:
    """The search for the messages tagged `tag` (as `static/inbox.js` and `sidebar.js` write
    it): quoted when the tag has a space, which tags may; they never hold a double quote
    (`parsing.clean_tag`)."""
    return f'tag:"{tag}"' if " " in tag else f"tag:{tag}"


@dataclass(frozen=True, slots=True)
class Place:
    """`newer`/`older`: the neighbours' ids, each with the query string of its message page
    (which names the list page it is on); `back`: the list page's query string."""

    back: str
    newer: tuple[str, str] | None = None
    older: tuple[str, str] | None = None


def place(store: MessageStore, id: str, q: str, start: int, page_size: int) -> Place:
    """Message `id` in the list `(q, start)` of `page_size` rows a page: the inbox (newest
    first) when `q` is blank, else the matches of search `q`, in the same order as the inbox
    shows them.

    The page is looked at with a row to spare either side, since mail that arrived or went
    since the list was drawn moves rows by one or two; beyond that the search's ids are read
    in full, and the inbox falls back to the store's own neighbours (exact, but with no page
    to name). A message the search no longer matches (`is:unread`, once read) has no
    neighbours in it, and a search that cannot be parsed gives none: the way back shows why.
    """
    back = list_query(q, start, page_size)
    search = q.strip()

    def rows(begin: int, count: int) -> Page:
        if search:
            return store.search(q, begin, count)
        return store.list(begin, count)

    def link(pos: int, at: str) -> tuple[str, str]:
        return at, list_query(q, pos // page_size * page_size, page_size)

    try:
        first, wanted = max(0, start - 1), page_size + 2
        ids = [m.id for m in rows(first, wanted).messages]
        if id not in ids and search:
            ids, first, wanted = store.ids(q), 0, 0  # all of them: nothing lies beyond
        elif id not in ids:
            above, below = store.neighbors(id)
            return Place(
                back,
                None if above is None else (above, back),
                None if below is None else (below, back),
            )
        if id not in ids:
            return Place(back)
        inside = ids.index(id)
        at = first + inside
        # A neighbour just outside the rows read (not past either end): read around `id`.
        if (inside == 0 and at > 0) or (inside == len(ids) - 1 and len(ids) == wanted):
            first = max(0, at - 1)
            ids = [m.id for m in rows(first, 3).messages]
            if id not in ids:  # moved in between
                return Place(back)
            at = first + ids.index(id)
    except (QueryError, MessageNotFound):
        return Place(back)
    inside = at - first
    newer = link(at - 1, ids[inside - 1]) if inside > 0 else None
    older = link(at + 1, ids[inside + 1]) if inside + 1 < len(ids) else None
    return Place(back, newer, older)
