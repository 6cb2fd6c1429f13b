"""Work finished on other threads reaches the event loop in order, one wake-up per burst."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

import pytest

from mailtrap._bridge import Completions, LoopBatch


def test_a_burst_from_another_thread_is_consumed_in_order_with_one_wake_up() -> None:
    async def main() -> tuple[list[list[int]], int]:
        loop = asyncio.get_running_loop()
        wakes = 0
        real = loop.call_soon_threadsafe

        def counting(*args: Any) -> asyncio.Handle:
            nonlocal wakes
            wakes += 1
            return real(*args)

        loop.call_soon_threadsafe = counting  # type: ignore[method-assign, assignment]
        drained: list[list[int]] = []
        done = asyncio.Event()

        def consume(items: list[int]) -> None:
            drained.append(items)
            if sum(map(len, drained)) == 100:
                done.set()

        batch: LoopBatch[int] = LoopBatch(loop, consume)
        # The loop is busy in this coroutine while the thread puts, as during a group commit.

        def produce() -> None:
            for n in range(100):
                batch.put(n)

        producer = threading.Thread(target=produce)
        producer.start()
        producer.join()
        await asyncio.wait_for(done.wait(), 10)
        return drained, wakes

    drained, wakes = asyncio.run(main())
    assert drained == [list(range(100))]
    assert wakes == 1


def test_completions_carry_results_and_errors_and_skip_cancelled_waiters() -> None:
    async def main() -> None:
        completions = Completions(asyncio.get_running_loop())
        ok, bad, gone = Future[int](), Future[int](), Future[int]()
        waiters = [completions.wait(f) for f in (ok, bad, gone)]
        waiters[2].cancel()  # the client hung up; its message still completes

        def settle() -> None:
            ok.set_result(1)
            bad.set_exception(LookupError("boom"))
            gone.set_result(3)

        threading.Thread(target=settle).start()
        assert await asyncio.wait_for(waiters[0], 10) == 1
        with pytest.raises(LookupError, match="boom"):
            await asyncio.wait_for(waiters[1], 10)
        assert waiters[2].cancelled()

    asyncio.run(main())
