"""MailHog's v2 API: `GET /api/v2/messages` and `GET /api/v2/search`, in MailHog's shapes.

Search maps MailHog's three kinds onto mailtrap's search (`mailtrap.message.search`), so it
finds what MailHog found and more: the query is a substring, ignoring case (and, as all of
mailtrap's search, accents and punctuation), of

- `from`: the From address or name (MailHog also read the envelope sender, which mailtrap's
  search does not index apart from the body's text);
- `to`: a To address or name, or any envelope recipient (MailHog read the envelope too, which
  is how a Bcc recipient is found);
- `containing`: the subject, the addresses, the Message-ID, the attachments' names and the
  body text, decoded (MailHog matched the raw, still-encoded body and every header).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from mailtrap.message.search import Query as SearchQuery
from mailtrap.message.search import QueryError, Term
from mailtrap.message.searchtext import fold
from mailtrap.storage.base import MessageStore
from mailtrap.web.deps import Store, error
from mailtrap.web.mailhog_shape import limits, mailhog_page
from mailtrap.web.params import Paging

router = APIRouter(prefix="/api/v2", tags=["mailhog"])

# MailHog's kind -> the search fields it maps to (None: free text); matches of any are found.
_FIELDS: dict[str, tuple[str | None, ...]] = {
    "from": ("from",),
    "to": ("to", "bcc"),  # mailtrap's Bcc holds the envelope recipients no header names
    "containing": (None,),
}


@router.get("/messages", summary="MailHog: list messages, newest first")
def messages(store: Store, paging: Paging) -> Any:
    """`{total, count, start, items}`, each item in MailHog's message shape (see README,
    "Coming from MailHog")."""
    start, limit = limits(paging)
    ids = [m.id for m in store.list(start=start, limit=limit).messages]
    return mailhog_page(store, ids, store.count(), paging.start)


@router.get(
    "/search",
    summary="MailHog: search messages, newest first",
    responses={400: error("no query, or a kind other than from, to and containing")},
)
def search(
    store: Store,
    paging: Paging,
    kind: Annotated[str, Query(description="from, to or containing")] = "",
    query: Annotated[str, Query(description="the text to find")] = "",
) -> Any:
    """`{total, count, start, items}` as `/api/v2/messages`, `total` counting the matches."""
    if kind not in _FIELDS:
        raise HTTPException(
            400, f"search kind {kind!r} is not one MailHog has; use kind=from, to or containing"
        )
    if not query.strip():
        raise HTTPException(400, "no search query; give the text to find as query=")
    start, limit = limits(paging)
    ids = matching(store, kind, query)
    return mailhog_page(store, ids[start : start + limit], len(ids), paging.start)


def matching(store: MessageStore, kind: str, text: str) -> list[str]:
    """The ids of the messages MailHog's search `kind` finds for `text`, newest first."""
    folded = fold(text)
    if not folded:  # nothing but spaces and punctuation, which the search does not keep
        raise QueryError(f"search query {text!r} has no letter or digit to find; search for a word")
    searches = [
        store.ids(SearchQuery((Term(field, text, text=folded),))) for field in _FIELDS[kind]
    ]
    if len(searches) == 1:
        return searches[0]
    found = set().union(*searches)
    return [id for id in store.ids() if id in found]  # newest first, as each search was
