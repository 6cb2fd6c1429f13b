"""Events across instances: NOTIFY in the writer's transaction, a LISTEN thread in each.

The writer sends every batch's events with `pg_notify` before its COMMIT: PostgreSQL delivers
them only if the batch commits, after it, in commit order. A payload must stay under 8,000
bytes, so the events are split (an event with many ids over several payloads); a `new` event
carries only its id, and the listener loads the summaries of a payload's new messages in one
query. Each payload names its instance, which ignores its own (it told its subscribers
already) and a counter, since PostgreSQL folds identical payloads of one transaction into one.
A batch's arriving messages are one `new` item with their ids.

The listener thread holds a connection of its own. When that connection is lost it reconnects
and emits a `reset` event: notifications sent meanwhile are gone, so clients reload.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from psycopg import sql

from mailtrap.message.models import MessageSummary
from mailtrap.storage.base import StoreEvent
from mailtrap.storage.postgres._writer import Conn

__all__ = ["Listener", "announce", "channel_name", "payloads"]

log = logging.getLogger("mailtrap.storage")

MAX_PAYLOAD = 7_800  # bytes: PostgreSQL's limit is 8,000
_IDS_PER_PART = 200  # 22-character ids: about 5 KB of them
# One encoder for every payload: json.dumps with any argument builds a new one per call.
_JSON = json.JSONEncoder(separators=(",", ":"))
POLL_SECONDS = 0.1  # how soon the listener notices close()
RETRY_SECONDS = 1.0  # between attempts to reconnect


def channel_name(schema: str) -> str:
    """The NOTIFY channel of the inbox in `schema` (an identifier: at most 63 bytes)."""
    name = f"mailtrap.{schema}"
    if len(name) <= 63:
        return name
    return "mailtrap." + hashlib.sha256(schema.encode()).hexdigest()[:32]


def _encoded(events: list[StoreEvent]) -> Iterator[list[Any]]:
    """The items of `events`: consecutive `new` events as one item with all their ids (a batch
    of arriving mail is one event per message), and an event's many ids over several items."""
    pending: list[str] = []
    for event in events:
        if event.kind == "new" and event.ids:
            pending += event.ids
            continue
        if pending:
            yield from _parts("new", pending, None, None, False)
            pending = []
        tags = list(event.tags) if event.tags is not None else None
        yield from _parts(event.kind, list(event.ids), event.read, tags, event.all)
    if pending:
        yield from _parts("new", pending, None, None, False)


def _parts(
    kind: str, ids: list[str], read: Any, tags: Any, everything: bool
) -> Iterator[list[Any]]:
    if not ids:
        yield [kind, [], read, tags, everything]
    for at in range(0, len(ids), _IDS_PER_PART):
        yield [kind, ids[at : at + _IDS_PER_PART], read, tags, everything]


def payloads(instance: str, events: list[StoreEvent]) -> list[str]:
    """The NOTIFY payloads announcing `events`, each under MAX_PAYLOAD bytes, in order."""
    counter = itertools.count()
    out: list[str] = []
    part: list[list[Any]] = []

    def packed(items: list[list[Any]]) -> str:
        return _JSON.encode({"i": instance, "n": next(counter), "e": items})

    # Sizes add up item by item (ASCII JSON: a character is a byte), rather than encoding the
    # whole part again for each item; the envelope is counted with room for any counter.
    empty = len(_JSON.encode({"i": instance, "n": 10**12, "e": []}))
    size = empty
    for item in _encoded(events):
        grown = len(_JSON.encode(item)) + 1  # and a comma
        if part and size + grown > MAX_PAYLOAD:
            out.append(packed(part))
            part, size = [], empty
        part.append(item)
        size += grown
    if part:
        out.append(packed(part))
    # One too big alone (a set of very many tags): tell the others to reload instead.
    return [p if len(p.encode()) <= MAX_PAYLOAD else packed([["reset"]]) for p in out]


def announce(conn: Conn, events: list[StoreEvent], *, channel: str, instance: str) -> None:
    """Queue `events` for the other instances, delivered when `conn`'s transaction commits."""
    if events:
        conn.execute(
            "SELECT pg_notify(%s, p) FROM unnest(%s::text[]) WITH ORDINALITY AS u(p, n) ORDER BY n",
            (channel, payloads(instance, events)),
        )


class Listener:
    """A daemon thread emitting the other instances' events: LISTENs on `channel` over
    connections from `connect()` and hands each event to `emit`. New messages' summaries are
    loaded with `load(ids)` (in arrival order, skipping ids already gone) only while `wanted()`
    says a subscriber reads them; otherwise each `new` entry of a payload is one `new` event
    with its ids and no summary (no query: with several instances, loading every other
    instance's mail for nobody was a third of the work per message)."""

    def __init__(
        self,
        connect: Callable[[], Conn],
        *,
        channel: str,
        instance: str,
        load: Callable[[list[str]], list[MessageSummary]],
        wanted: Callable[[], bool],
        emit: Callable[[StoreEvent], None],
        name: str,
    ) -> None:
        self._connect = connect
        self._listen = sql.SQL("LISTEN {}").format(sql.Identifier(channel))
        self._instance = instance
        # How `payloads` begins this instance's own (sent to its listener too): skipped unread.
        self._own = _JSON.encode({"i": instance})[:-1] + ","
        self._load = load
        self._wanted = wanted
        self._emit = emit
        self._stop = threading.Event()
        self.listening = threading.Event()  # set once the first LISTEN is in place
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        connected_before = False
        failures = 0
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(self._listen)
                    failures = 0
                    if connected_before:
                        self._emit(StoreEvent("reset", remote=True))
                    connected_before = True
                    self.listening.set()
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=POLL_SECONDS):
                            self._handle(notify.payload)
            except psycopg.Error as exc:
                if not self._stop.is_set():
                    log.warning("PostgreSQL event listener lost its connection (%s); retrying", exc)
                    # At once the first time (an administrator ended the session, a failover):
                    # every moment without a LISTEN is events lost. Then once a second.
                    self._stop.wait(RETRY_SECONDS if failures else 0)
                    failures += 1

    def _handle(self, payload: str) -> None:
        if payload.startswith(self._own):
            return
        try:
            data = json.loads(payload)
            if data["i"] == self._instance:
                return
            events = data["e"]
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed mailtrap event notification")
            return
        new = [id for kind, ids, *_ in events if kind == "new" for id in ids]
        loaded: dict[str, MessageSummary] | None = None
        if new and self._wanted():
            try:
                loaded = {s.id: s for s in self._load(new)}
            except Exception:  # the readers lost the server: what changed is unknown, so reload
                log.warning("could not load the summaries of another instance's new mail")
                self._emit(StoreEvent("reset", remote=True))
                return
        for kind, *rest in events:
            if kind == "reset":
                self._emit(StoreEvent("reset", remote=True))
                continue
            ids, read, tags, everything = rest
            if kind == "new" and loaded is None:
                self._emit(StoreEvent("new", tuple(ids), remote=True))
            elif kind == "new" and loaded is not None:
                for id in ids:
                    if (summary := loaded.get(id)) is not None:
                        self._emit(StoreEvent("new", (id,), summary=summary, remote=True))
            elif kind == "update":
                tagged = tuple(tags) if tags is not None else None
                self._emit(StoreEvent("update", tuple(ids), read=read, tags=tagged, remote=True))
            elif kind == "delete":
                self._emit(StoreEvent("delete", tuple(ids), all=everything, remote=True))
