"""Handing futures that finish on another thread back to an event loop, one wake-up a burst."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["Completions"]

T = TypeVar("T")


class Completions:
    """Hands store futures that finish on another thread back to the event loop, waking it
    once per burst.

    `asyncio.wrap_future` wakes the loop once per future (a self-pipe write each), so a group
    commit of 20 messages would cost 20 wake-ups. Here the first completion of a burst
    schedules one callback, which settles every completion that has arrived by then.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = threading.Lock()
        self._ready: list[tuple[asyncio.Future[Any], Future[Any]]] = []

    def wait(self, future: Future[T]) -> asyncio.Future[T]:
        waiter: asyncio.Future[T] = self.loop.create_future()
        future.add_done_callback(lambda f: self._done(waiter, f))
        return waiter

    def _done(self, waiter: asyncio.Future[Any], future: Future[Any]) -> None:
        with self._lock:
            self._ready.append((waiter, future))
            first = len(self._ready) == 1
        if first:
            self.loop.call_soon_threadsafe(self._settle)

    def _settle(self) -> None:
        with self._lock:
            ready, self._ready = self._ready, []
        for waiter, future in ready:
            if waiter.cancelled():  # the client went away; the message is stored regardless
                continue
            exc = future.exception()
            if exc is None:
                waiter.set_result(future.result())
            else:
                waiter.set_exception(exc)
