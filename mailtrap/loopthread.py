"""`LoopThread`: an event loop on a daemon thread of its own, driven by a synchronous caller.

The contract: `LoopThread.run` returns only once the start coroutine has finished on the new
loop, or raises what it raised (TimeoutError after `timeout` seconds) with the loop already
stopped, its thread joined and the loop closed: a failed start leaves no thread behind.
`call` runs a coroutine there and hands back its result or its exception, so what fails on
the loop's thread is raised in the caller, never lost. `stop` runs a last coroutine and then
always stops the loop, joins the thread and closes the loop, even when that coroutine fails
(whose exception it then raises). Not thread-safe itself: one owner starts and stops it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from mailtrap.errors import MailtrapError

__all__ = ["LoopThread"]

T = TypeVar("T")


class LoopThread:
    """`loop` running forever on a daemon thread named `name`; see the module's contract."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, name: str) -> None:
        self.loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name=name, daemon=True)

    @classmethod
    def run(
        cls,
        loop: asyncio.AbstractEventLoop,
        start: Coroutine[Any, Any, object],
        *,
        name: str,
        timeout: float | None,
    ) -> LoopThread:
        """Start `loop` on a new thread and run `start` there; see the module's contract."""
        runner = cls(loop, name=name)
        runner._thread.start()
        try:
            runner.call(start, timeout)
        except BaseException:
            runner._close(timeout)
            raise
        return runner

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float | None) -> T:
        """`coroutine`'s result once it has run on the loop, or the exception it raised;
        TimeoutError if it takes longer than `timeout` seconds (None: no limit)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self, last: Coroutine[Any, Any, object], timeout: float | None) -> None:
        """Run `last` (a server's shutdown) on the loop, then stop and close it whatever
        `last` did; raises what `last` raised."""
        try:
            self.call(last, timeout)
        finally:
            self._close(timeout)

    def _close(self, timeout: float | None) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        if self._thread.is_alive():  # closing a running loop would raise a vaguer error
            raise MailtrapError(
                f"the event loop on thread {self._thread.name!r} did not stop within "
                f"{timeout} s; a callback on it is blocking (it must not)"
            )
        self.loop.close()
