"""Handing work that finishes on another thread to an event loop, one wake-up a burst.

`loop.call_soon_threadsafe` writes to the loop's self-pipe every time: two system calls and a
pass through the loop per item. When the SQLite writer commits 20 messages at once, their 20
completions (and 20 "new message" events) should cost one.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

__all__ = ["Completions", "LoopBatch"]

T = TypeVar("T")


class LoopBatch(Generic[T]):
    """Collects items from any thread and hands them to `consume` on `loop`, in order.

    The first item of a burst schedules one callback; whatever has arrived by the time it runs
    is consumed together. Items put after the loop has closed are dropped.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, consume: Callable[[list[T]], None]):
        self.loop = loop
        self._consume = consume
        self._lock = threading.Lock()
        self._items: list[T] = []

    def put(self, item: T) -> None:
        with self._lock:
            self._items.append(item)
            first = len(self._items) == 1
        if first and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._lock:
            items, self._items = self._items, []
        self._consume(items)


class Completions:
    """Hands store futures that finish on another thread back to the event loop as asyncio
    futures, waking it once per burst (`asyncio.wrap_future` wakes it once per future)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._batch: LoopBatch[tuple[asyncio.Future[Any], Future[Any]]] = LoopBatch(
            loop, self._settle
        )

    def wait(self, future: Future[T]) -> asyncio.Future[T]:
        waiter: asyncio.Future[T] = self.loop.create_future()
        future.add_done_callback(lambda f: self._batch.put((waiter, f)))
        return waiter

    @staticmethod
    def _settle(ready: list[tuple[asyncio.Future[Any], Future[Any]]]) -> None:
        for waiter, future in ready:
            if waiter.cancelled():  # the client went away; the message is stored regardless
                continue
            exc = future.exception()
            if exc is None:
                waiter.set_result(future.result())
            else:
                waiter.set_exception(exc)
