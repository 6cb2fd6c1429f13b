"""The mailbox's async twins, and the guard that sends async code to them.

A sync `wait_for` or `assert_no_message` called on an event loop's thread blocks that loop:
an app under test that sends from the same loop (aiosmtplib, an async framework) cannot send
until the wait ends, so `wait_for` times out and `assert_no_message` passes wrongly. The guard
refuses that call and names the async form. The twins run the sync methods on a worker thread
(`asyncio.to_thread`), which has no loop, so the guard lets them through; the loop keeps
running meanwhile. A cancelled twin's thread runs on to its own timeout, then ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

if TYPE_CHECKING:
    from mailtrap.mailbox import BaseMailbox
    from mailtrap.message.models import Message
    from mailtrap.smtp.chaos import Stage

__all__ = ["AsyncMethods", "refuse_on_a_loop"]

T = TypeVar("T")


def refuse_on_a_loop(method: str) -> None:
    """Raise RuntimeError if this thread runs an event loop: `method` would block it."""
    __tracebackhide__ = True
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop in this thread: blocking is fine
        return
    raise RuntimeError(
        f"mailtrap.{method}() was called on the thread of a running event loop, which it would "
        "block: mail that the loop's tasks send could not go out until it gave up. "
        f"In async code, use `await mailtrap.{method}_async(...)`."
    )


async def _shown_here(wait: Callable[[], T]) -> T:
    """`wait()` on a worker thread. Its failure is raised without the thread's frames (the
    worker, asyncio's and the sync method's): pytest shows the test's line and the message."""
    __tracebackhide__ = True
    try:
        return await asyncio.to_thread(wait)
    except AssertionError as failure:
        raise failure.with_traceback(None) from None


def _sync(mixin: AsyncMethods) -> BaseMailbox:
    return cast("BaseMailbox", mixin)  # the one class that mixes these in


class AsyncMethods:
    """`wait_for`, `assert_no_message`, `messages`, `clear` and `fail_next` to await, for
    tests that run on an event loop. Each takes the same arguments as its sync form."""

    @overload
    async def wait_for_async(self, count: Literal[1] = 1, **kwargs: Any) -> Message: ...

    @overload
    async def wait_for_async(self, count: int, **kwargs: Any) -> list[Message]: ...

    async def wait_for_async(self, count: int = 1, **kwargs: Any) -> Message | list[Message]:
        """`wait_for`, awaited: the event loop runs on while it waits."""
        __tracebackhide__ = True
        return await _shown_here(lambda: _sync(self).wait_for(count, **kwargs))

    async def assert_no_message_async(self, within: float = 0.5, **filters: Any) -> None:
        """`assert_no_message`, awaited: the event loop runs on (and sends) while it waits."""
        __tracebackhide__ = True
        await _shown_here(lambda: _sync(self).assert_no_message(within, **filters))

    async def messages_async(self) -> list[Message]:
        """`messages`, awaited (in remote mode, reading them is a request to the server)."""
        return await asyncio.to_thread(lambda: _sync(self).messages)

    async def clear_async(self) -> None:
        """`clear`, awaited."""
        await asyncio.to_thread(_sync(self).clear)

    async def fail_next_async(self, stage: Stage = "rcpt", code: int = 451, **kwargs: Any) -> None:
        """`fail_next`, awaited."""
        await asyncio.to_thread(lambda: _sync(self).fail_next(stage, code, **kwargs))
