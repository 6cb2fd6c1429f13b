"""What MailHog's routes share: a stored message in MailHog's shape, pages of them, and
MailHog's paging rules (`start`/`limit` read as Go reads them; `limit` 0 means 50, and at
most 250 are returned)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import HTTPException

from mailtrap.errors import MessageNotFound
from mailtrap.message.mailhog import mailhog_message
from mailtrap.storage.base import MAX_START, MessageStore, StoredMessage
from mailtrap.web.params import DEFAULT_LIMIT, PagingParams

__all__ = ["MAX_LIMIT", "limits", "mailhog_json", "mailhog_page", "mailhog_stored"]

MAX_LIMIT = 250  # MailHog's cap on a page


def limits(paging: PagingParams) -> tuple[int, int]:
    """(start, limit) as MailHog takes them from `paging`, within the store's bounds."""
    return min(paging.start, MAX_START), min(paging.limit or DEFAULT_LIMIT, MAX_LIMIT)


def mailhog_json(stored: StoredMessage) -> dict[str, Any]:
    """`stored` in MailHog's `data.Message` shape (see mailtrap.message.mailhog)."""
    summary = stored.summary
    return mailhog_message(summary.id, summary.created, stored.envelope, stored.raw)


def mailhog_stored(store: MessageStore, id: str) -> dict[str, Any]:
    """Message `id` in MailHog's shape, or a 404 naming it."""
    try:
        return mailhog_json(store.stored(id))
    except MessageNotFound as exc:
        raise HTTPException(404, str(exc)) from None


def mailhog_page(store: MessageStore, ids: Iterable[str], total: int, start: int) -> Any:
    """MailHog's `{total, count, start, items}` for the messages `ids` (newest first). A
    message deleted while the page is built is left out, so `count` is what `items` holds."""
    items = []
    for id in ids:
        try:
            items.append(mailhog_json(store.stored(id)))
        except MessageNotFound:
            continue
    return {"total": total, "count": len(items), "start": start, "items": items}
