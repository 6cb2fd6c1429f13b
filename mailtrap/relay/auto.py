"""`AutoRelay`: new mail relayed in the background (`--smtp-relay-all`, `--smtp-relay-matching`,
`--smtp-forward`).

The store announces each new message on its writer thread; `AutoRelay` only notes the ID in a
bounded queue there, so SMTP capture never waits on the relay. One worker thread of its own
sends them, in arrival order, retrying a failure that may pass (no answer, a 4xx) with
doubling waits, and logging each final failure with the relay's reason. A full queue (the
relay far behind) drops the newest IDs with a warning rather than holding mail in memory
without bound. `stats` counts what happened.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from mailtrap.errors import MessageNotFound
from mailtrap.message.models import Envelope
from mailtrap.relay.client import RelayError, send
from mailtrap.relay.config import RelayConfig
from mailtrap.relay.message import prepare
from mailtrap.storage.base import MessageStore, StoreEvent

__all__ = ["AutoRelay", "AutoRules", "RelayStats"]

log = logging.getLogger("mailtrap.relay")

QUEUE_LIMIT = 1000
RETRIES = 3
BACKOFF = 2.0  # seconds before the first retry; doubled for each next one

Sender = Callable[[RelayConfig, str, list[str], bytes], str]


@dataclass(frozen=True, slots=True)
class AutoRules:
    """Which new mail is relayed, and to whom. `all`: every message, to its envelope
    recipients; `matching`: to those of its envelope recipients this regex finds; `forward`:
    every message, to these addresses as well. The relay's allowed and blocked recipients
    apply to every one of them."""

    all: bool = False
    matching: str = ""
    forward: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.all or bool(self.matching) or bool(self.forward)

    def recipients(self, envelope: Envelope, config: RelayConfig) -> list[str]:
        """The addresses a message with `envelope` goes to, each once, in order."""
        chosen: list[str] = []
        if self.all:
            chosen += envelope.rcpt_tos
        elif self.matching:
            chosen += [r for r in envelope.rcpt_tos if re.search(self.matching, r)]
        chosen += self.forward
        allowed = [r for r in dict.fromkeys(chosen) if config.allowed(r)]
        skipped = set(chosen) - set(allowed)
        if skipped:
            log.debug("not relaying to %s: outside the allowed recipients", ", ".join(skipped))
        return allowed


@dataclass(slots=True)
class RelayStats:
    """Counts since start: messages relayed, given up on, dropped with the queue full, and
    retries made."""

    relayed: int = 0
    failed: int = 0
    dropped: int = 0
    retries: int = 0


class AutoRelay:
    """Relays `store`'s new mail by `rules` through `config`. `start()` subscribes and starts
    the worker; `stop()` ends it (mail still queued then is not relayed)."""

    def __init__(
        self,
        store: MessageStore,
        config: RelayConfig,
        rules: AutoRules,
        *,
        sender: Sender = send,
        retries: int = RETRIES,
        backoff: float = BACKOFF,
        queue_limit: int = QUEUE_LIMIT,
    ) -> None:
        self.store = store
        self.config = config
        self.rules = rules
        self.stats = RelayStats()
        self._send = sender
        self._retries = retries
        self._backoff = backoff
        self._queue: queue.Queue[str | None] = queue.Queue(queue_limit)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._work, name="mailtrap-relay", daemon=True)
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        self._thread.start()
        # Only this instance's mail is relayed, and that comes with its summary.
        self._unsubscribe = self.store.subscribe(self._noted, summaries=False)

    def stop(self, timeout: float = 5.0) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stopping.set()
        while True:  # make room for the end mark: what is queued is given up anyway
            try:
                self._queue.put_nowait(None)
                break
            except queue.Full:
                self._queue.get_nowait()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _noted(self, event: StoreEvent) -> None:  # the store's writer thread: be quick
        # Another instance sharing the store relays the mail it received itself.
        if event.kind != "new" or event.summary is None or event.remote:
            return
        try:
            self._queue.put_nowait(event.summary.id)
        except queue.Full:
            self.stats.dropped += 1
            log.warning(
                "not relaying message %s: %d messages already wait for the relay %s",
                event.summary.id,
                self._queue.maxsize,
                self.config.server,
            )

    def _work(self) -> None:
        while (id := self._queue.get()) is not None and not self._stopping.is_set():
            try:
                self._relay(id)
            except Exception:  # the worker must outlive any one message
                self.stats.failed += 1
                log.exception("relaying message %s failed", id)

    def _relay(self, id: str) -> None:
        try:
            stored = self.store.stored(id)
        except MessageNotFound:
            return  # deleted before its turn
        recipients = self.rules.recipients(stored.envelope, self.config)
        if not recipients:
            return
        prepared = prepare(stored, self.config)
        for attempt in range(self._retries + 1):
            try:
                reply = self._send(self.config, prepared.sender, recipients, prepared.raw)
            except RelayError as exc:
                last = exc
                if not exc.temporary or attempt == self._retries:
                    break
                self.stats.retries += 1
                if self._stopping.wait(self._backoff * 2**attempt):
                    return
            else:
                self.stats.relayed += 1
                log.info("relayed message %s to %s: %s", id, ", ".join(recipients), reply)
                return
        self.stats.failed += 1
        log.error(
            "gave up relaying message %s to %s after %d attempt(s): %s",
            id,
            ", ".join(recipients),
            attempt + 1,
            last,
        )
