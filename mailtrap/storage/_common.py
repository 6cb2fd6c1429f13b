"""Pieces both stores share: subscriber fan-out and argument checks."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from mailtrap.storage.base import MAX_START, StoreEvent, Subscriber, Wanted

log = logging.getLogger("mailtrap.storage")

MAX_PAGE = 10_000


class Subscribers:
    """A thread-safe list of callbacks, each with whether it wants summaries (see
    `MessageStore.subscribe`). `emit` never raises: a failing callback is logged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: tuple[tuple[Subscriber, Wanted], ...] = ()

    def add(self, callback: Subscriber, summaries: Wanted = True) -> Callable[[], None]:
        entry = (callback, summaries)  # this subscription, by identity: unsubscribe ends it
        with self._lock:
            self._entries = (*self._entries, entry)

        def unsubscribe() -> None:
            with self._lock:
                self._entries = tuple(e for e in self._entries if e is not entry)

        return unsubscribe

    def want_summaries(self) -> bool:
        """Whether any subscriber wants the summaries of new mail (asking each that decides
        each time, until one does)."""
        return any(w() if callable(w) else w for _, w in self._entries)

    def emit(self, event: StoreEvent) -> None:
        for callback, _ in self._entries:  # a snapshot: the tuple is replaced, never mutated
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
