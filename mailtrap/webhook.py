"""`Webhook`: POST each new message's summary to a URL, as Mailpit's `--webhook-url` does.

It never slows SMTP: the store's "new" events reach it on the event loop one wake-up a burst
(`LoopBatch`), each goes into a bounded queue without waiting, and a few worker tasks post
them with httpx, each request bounded by a timeout. A slow hook holds up only those tasks; a
dead one costs a logged failure per message. The mail itself is stored whatever the hook does.

Requests are paced to at most `limit` a second. Mailpit drops what comes faster than its
limit; here it waits in the queue, and only what overflows the queue is dropped (counted and
logged), so under a test suite's load every message is announced.

The URL is the operator's own `--webhook-url`, never one taken from mail, so this is no
request forgery surface (tests/test_architecture.py allows it beside `mailtrap.client`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import httpx

from mailtrap._bridge import LoopBatch
from mailtrap._version import __version__
from mailtrap.message.models import MessageSummary
from mailtrap.metrics import WEBHOOK_OUTCOMES, Metrics
from mailtrap.options import WebhookOptions
from mailtrap.storage.base import MessageStore, StoreEvent

__all__ = ["WORKERS", "Webhook"]

log = logging.getLogger("mailtrap.webhook")

WORKERS = 4  # requests in flight at once: a slow hook ties up these, never the SMTP side
_DROP_LOG_INTERVAL = 10.0  # seconds between warnings about a full queue


class Webhook:
    """Posts `payload(summary)` (JSON bytes) for every new message in a store to
    `options.url`. `start(store)` on the event loop that should run it; `stop()` there after.

    `outcomes` counts requests by outcome: "sent" (answered 2xx), "refused" (answered
    otherwise), "failed" (no answer: a refused connection, a timeout) and "dropped" (the queue
    was full); so does `metrics`, when given."""

    def __init__(
        self,
        options: WebhookOptions,
        *,
        payload: Callable[[MessageSummary], bytes],
        metrics: Metrics | None = None,
    ) -> None:
        self.options = options
        self._payload = payload
        self._metrics = metrics
        self.outcomes = dict.fromkeys(WEBHOOK_OUTCOMES, 0)
        self._queue: asyncio.Queue[MessageSummary] | None = None
        self._batch: LoopBatch[MessageSummary] | None = None
        self._client: httpx.AsyncClient | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._next_at = 0.0  # the loop time before which no further request may start
        self._dropped_logged_at = -_DROP_LOG_INTERVAL

    async def start(self, store: MessageStore) -> None:
        """Follow `store`'s new messages from now on, with workers on the running loop."""
        loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue(maxsize=self.options.queue_limit)
        self._batch = LoopBatch(loop, self._enqueue)
        self._client = httpx.AsyncClient(
            timeout=self.options.timeout,
            headers={"User-Agent": f"mailtrap/{__version__}", "Content-Type": "application/json"},
            # Proxy variables are the environment, which only the CLI reads; and a redirect
            # would send the mail's summary somewhere the operator did not name.
            trust_env=False,
            follow_redirects=False,
        )
        self._tasks = [asyncio.create_task(self._work()) for _ in range(WORKERS)]
        # Only this instance's mail is posted, and that comes with its summary.
        self._unsubscribe = store.subscribe(self._from_store, summaries=False)

    async def stop(self) -> None:
        """Stop following the store, abandon what is queued or in flight, close the client."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _from_store(self, event: StoreEvent) -> None:  # any thread: quick, never blocks
        # Mail another instance sharing the store received is that instance's to announce.
        if event.remote:
            return
        if event.kind == "new" and event.summary is not None and self._batch is not None:
            self._batch.put(event.summary)

    def _enqueue(self, summaries: list[MessageSummary]) -> None:  # on the loop
        queue = self._queue
        assert queue is not None
        # What does not fit is counted, not tried: under a flood that is most of every burst.
        room = max(0, self.options.queue_limit - queue.qsize())
        for summary in summaries[:room]:
            queue.put_nowait(summary)
        dropped = len(summaries) - room
        if dropped > 0:
            self._count("dropped", dropped)
            now = time.monotonic()
            if now - self._dropped_logged_at >= _DROP_LOG_INTERVAL:  # not a line per message
                self._dropped_logged_at = now
                log.warning(
                    "webhook: %d requests are waiting for %s, so new messages' are dropped "
                    "(%d dropped so far); raise --webhook-limit if the hook can take more",
                    self.options.queue_limit,
                    self.options.url,
                    self.outcomes["dropped"],
                )

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            summary = await self._queue.get()
            await self._pace()
            await self._post(summary)

    async def _pace(self) -> None:
        """Wait for this request's turn: at most `limit` start in any second."""
        if not self.options.limit:
            return
        now = asyncio.get_running_loop().time()
        at = max(now, self._next_at)
        self._next_at = at + 1 / self.options.limit
        if at > now:
            await asyncio.sleep(at - now)

    async def _post(self, summary: MessageSummary) -> None:
        assert self._client is not None
        url = self.options.url
        try:
            response = await self._client.post(url, content=self._payload(summary))
        except httpx.HTTPError as exc:
            self._count("failed")
            log.error(
                "webhook: no answer from %s for message %s: %s (%d failed so far)",
                url,
                summary.id,
                _reason(exc),
                self.outcomes["failed"],
            )
            return
        if 200 <= response.status_code < 300:
            self._count("sent")
            return
        self._count("refused")
        log.warning(
            "webhook: %s answered %d for message %s (%d refused so far)",
            url,
            response.status_code,
            summary.id,
            self.outcomes["refused"],
        )

    def _count(self, outcome: str, n: int = 1) -> None:
        self.outcomes[outcome] += n
        if self._metrics is not None:
            self._metrics.webhook(outcome, n)


def _reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within the timeout ({exc.__class__.__name__})"
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
