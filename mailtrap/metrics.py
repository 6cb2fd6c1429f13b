"""`Metrics`: one server's Prometheus metrics, in a `CollectorRegistry` of its own.

Nothing here is global: every `Metrics` has its own registry, so several servers (or apps in
one test process) never share or clash over a name. What the SMTP side counts lives in its
`SMTPStats` (plain integers, written on the event loop) and the store's gauges are asked of the
store; both are read only when /metrics is scraped, by the collectors below. The counters
kept here (HTTP requests, webhook and relay outcomes, deletions) are off the SMTP path.

Names follow Mailpit's metrics (`mailpit_` becomes `mailtrap_`) where Mailpit has one, so a
dashboard built for Mailpit needs only the prefix changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from mailtrap.smtp.stats import SMTPStats
from mailtrap.storage.base import MessageStore, StoreEvent

if TYPE_CHECKING:
    from mailtrap.relay.auto import RelayStats

__all__ = ["RELAY_OUTCOMES", "WEBHOOK_OUTCOMES", "Metrics"]

# A webhook request: answered 2xx ("sent"), answered otherwise ("refused"), no answer at all
# (refused connection, timeout: "failed"), or never made because the queue was full ("dropped").
WEBHOOK_OUTCOMES = ("sent", "refused", "failed", "dropped")
# A relayed message, in the same terms: the relay took it, refused it (a 5xx reply), could not
# take it (no answer, or a 4xx after the retries), or the queue was full.
RELAY_OUTCOMES = ("sent", "refused", "failed", "dropped")


class Metrics:
    """The metrics of one mailtrap server. `smtp`: the `SMTPStats` of each SMTP listener
    (summed); `relay`: the automatic relay's `RelayStats` (None: no automatic relay);
    `started`: `time.monotonic()` at the start, for the uptime.

    Thread-safe. `http_request`, `webhook` and `relay` count an event; `watch_store` follows a
    store; `exposition()` is the text a scraper reads."""

    def __init__(
        self,
        *,
        smtp: Sequence[SMTPStats] = (),
        relay: RelayStats | None = None,
        started: float | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self._http = Counter(
            "mailtrap_http_requests",
            "HTTP requests answered, by route (its path template), method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self._webhook = Counter(
            "mailtrap_webhook_requests",
            "Webhook requests for new messages, by outcome: sent (2xx), refused (another "
            "status), failed (no answer), dropped (queue full)",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in WEBHOOK_OUTCOMES:  # every outcome shows, at 0, before it first happens
            self._webhook.labels(outcome)
        self._relay = _RelayCollector(relay)
        self.registry.register(self._relay)
        self._store = _StoreCollector(time.monotonic() if started is None else started)
        self.registry.register(self._store)
        self.registry.register(_SMTPCollector(tuple(smtp)))

    def http_request(self, route: str, method: str, status: int) -> None:
        """Count an answered HTTP request. `route` is the path template ("/api/v1/message/{ID}"),
        never the path itself, so that the number of series stays bounded."""
        self._http.labels(route, method, str(status)).inc()

    def webhook(self, outcome: str, count: int = 1) -> None:
        """Count `count` webhook requests with `outcome`, one of `WEBHOOK_OUTCOMES`."""
        self._webhook.labels(_known(outcome, WEBHOOK_OUTCOMES)).inc(count)

    def relay(self, outcome: str, count: int = 1) -> None:
        """Count `count` released messages (POST /api/v1/message/{ID}/release) with `outcome`,
        one of `RELAY_OUTCOMES`. The automatic relay counts in its own `RelayStats`."""
        self._relay.count(_known(outcome, RELAY_OUTCOMES), count)

    def watch_store(self, store: MessageStore) -> Callable[[], None]:
        """Report `store`'s size and counts, and count its deletions from now on (pruned
        apart). Returns the function that stops counting; the gauges go on with `store`."""
        return self._store.watch(store)

    def exposition(self) -> bytes:
        """Every metric in Prometheus's text format."""
        return generate_latest(self.registry)


def _known(outcome: str, outcomes: tuple[str, ...]) -> str:
    if outcome not in outcomes:
        raise ValueError(f"{outcome!r} is not an outcome; use one of {', '.join(outcomes)}")
    return outcome


class _StoreCollector(Collector):
    """The store's gauges, asked of it at each scrape, and its deletions, counted from its
    events (on whichever thread committed them: hence the lock)."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.store: MessageStore | None = None
        self._lock = threading.Lock()
        self.deleted = 0
        self.pruned = 0

    def watch(self, store: MessageStore) -> Callable[[], None]:
        self.store = store
        return store.subscribe(self._count, summaries=False)  # counts deletions only

    def _count(self, event: StoreEvent) -> None:
        if event.kind != "delete" or event.remote:  # another instance counts its own
            return
        with self._lock:
            if event.pruned:
                self.pruned += len(event.ids)
            else:
                self.deleted += event.count if event.all else len(event.ids)

    def collect(self) -> Iterator[Metric]:
        yield _gauge("mailtrap_uptime_seconds", "Seconds since the start", self._uptime())
        with self._lock:
            deleted, pruned = self.deleted, self.pruned
        yield _counter("mailtrap_messages_deleted", "Messages deleted (pruning apart)", deleted)
        yield _counter(
            "mailtrap_messages_pruned", "Oldest messages deleted to keep --max-messages", pruned
        )
        store = self.store
        if store is None:
            return
        yield _gauge("mailtrap_messages", "Messages in the store", store.count())
        yield _gauge("mailtrap_messages_unread", "Unread messages", store.count(unread=True))
        yield _gauge(
            "mailtrap_database_size_bytes", "Bytes the store occupies", store.storage_size()
        )

    def _uptime(self) -> float:
        return time.monotonic() - self.started


class _RelayCollector(Collector):
    """Relayed messages: released by hand (counted here) and relayed automatically (read from
    the relay worker's `RelayStats` at the scrape)."""

    def __init__(self, auto: RelayStats | None) -> None:
        self.auto = auto
        self._lock = threading.Lock()
        self._released = dict.fromkeys(RELAY_OUTCOMES, 0)

    def count(self, outcome: str, n: int) -> None:
        with self._lock:
            self._released[outcome] += n

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "mailtrap_relay_messages",
            "Messages relayed to another SMTP server, by mode (release: by hand, auto: "
            "--smtp-relay-all/-matching, --smtp-forward) and outcome (sent, refused, failed, "
            "dropped)",
            labels=["mode", "outcome"],
        )
        with self._lock:
            released = dict(self._released)
        for outcome, value in released.items():
            family.add_metric(["release", outcome], value)
        auto = self.auto
        if auto is not None:  # sent, and given up on; a relay's refusal is among the failures
            for outcome, value in (
                ("sent", auto.relayed),
                ("failed", auto.failed),
                ("dropped", auto.dropped),
            ):
                family.add_metric(["auto", outcome], value)
        yield family
        if auto is not None:
            yield _counter(
                "mailtrap_relay_retries", "Automatic relay attempts retried", auto.retries
            )


class _SMTPCollector(Collector):
    """The SMTP listeners' `SMTPStats`, summed, as they are at the scrape."""

    def __init__(self, stats: tuple[SMTPStats, ...]) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = self.stats
        yield _counter(
            "mailtrap_smtp_accepted", "Messages accepted over SMTP", sum(s.accepted for s in stats)
        )
        yield _counter(
            "mailtrap_smtp_accepted_size_bytes",
            "Bytes of the messages accepted over SMTP",
            sum(s.accepted_bytes for s in stats),
        )
        yield _labelled(
            CounterMetricFamily(
                "mailtrap_smtp_rejected",
                "SMTP transactions refused, by reason (chaos, size, recipients, connections, "
                "store) and reply code",
                labels=["reason", "code"],
            ),
            (s.refusals for s in stats),
        )
        yield _gauge(
            "mailtrap_smtp_connections_open", "SMTP connections open", sum(s.active for s in stats)
        )
        yield _counter(
            "mailtrap_smtp_connections",
            "SMTP connections made",
            sum(s.connections for s in stats),
        )
        yield _labelled(
            CounterMetricFamily(
                "mailtrap_smtp_tls_handshakes",
                "TLS handshakes by mode (starttls, smtps) and outcome (ok, failed)",
                labels=["mode", "outcome"],
            ),
            (s.tls for s in stats),
        )
        yield _labelled(
            CounterMetricFamily(
                "mailtrap_smtp_auth_attempts",
                "SMTP AUTH attempts answered, by mechanism and outcome (ok: 235, failed: 535)",
                labels=["mechanism", "outcome"],
            ),
            (s.auth for s in stats),
        )


def _labelled(
    family: CounterMetricFamily, counts: Iterable[dict[tuple[str, str], int]]
) -> CounterMetricFamily:
    total: dict[tuple[str, str], int] = {}
    for each in counts:
        # dict() copies in one step under the GIL: the event loop may add a key meanwhile.
        for key, value in dict(each).items():
            total[key] = total.get(key, 0) + value
    for key, value in sorted(total.items()):
        family.add_metric(list(key), value)
    return family


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
