"""Pieces both stores share: subscriber fan-out, argument checks and the search columns."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from mailtrap.message.parsing import Digest
from mailtrap.storage.base import MAX_START, StoreEvent, Subscriber

log = logging.getLogger("mailtrap.storage")

MAX_PAGE = 10_000
# Body text beyond this is stored (raw) but not indexed for search.
MAX_INDEXED_BODY = 512 * 1024


class Subscribers:
    """A thread-safe list of callbacks. `emit` never raises: a failing callback is logged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: tuple[Subscriber, ...] = ()

    def add(self, callback: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._callbacks = (*self._callbacks, callback)

        def unsubscribe() -> None:
            with self._lock:
                self._callbacks = tuple(c for c in self._callbacks if c is not callback)

        return unsubscribe

    def emit(self, event: StoreEvent) -> None:
        for callback in self._callbacks:  # a snapshot: the tuple is replaced, never mutated
            try:
                callback(event)
            except Exception:
                log.exception("store subscriber %r failed on a %s event", callback, event.kind)


def check_page(start: int, limit: int) -> None:
    """Reject page arguments that can only be mistakes, naming the value and the range."""
    if not 0 <= start <= MAX_START:
        raise ValueError(f"start must be between 0 and {MAX_START}, got {start}")
    if not 0 < limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}, got {limit}")


def search_columns(digest: Digest) -> dict[str, str]:
    """The text a message is searchable by, per search field (keys match `search.Term.field`).

    Free-text terms search every column; `from:` and friends search one.
    """

    def names(addresses: tuple[object, ...]) -> str:
        return " ".join(str(a) for a in addresses)

    return {
        "subject": digest.subject,
        "from": str(digest.sender) if digest.sender else "",
        "to": names(digest.to),
        "cc": names(digest.cc),
        "bcc": names(digest.bcc),
        "message_id": digest.message_id,
        "tags": " ".join(digest.tags),
        "body": digest.body_text[:MAX_INDEXED_BODY],
    }
