"""`Mailbox`: one test's view of a running SMTP sink. Usable without pytest.

It sees only the mail that arrives while it is open (oldest first), waits for mail without
polling (it is woken by the store's events), and fails with a message that says what was
expected and tabulates what did arrive.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any, Literal, overload

from mailtrap._aio import AsyncMethods, refuse_on_a_loop
from mailtrap._filters import Predicate, Subject, describe, matches, ruled_out, table
from mailtrap.errors import MessageNotFound
from mailtrap.message.models import Message, MessageSummary
from mailtrap.smtp.chaos import Chaos, Rule, Stage, fail_next_rule
from mailtrap.smtp.settings import SMTPSettings
from mailtrap.storage.base import MessageStore, StoreEvent

__all__ = ["BaseMailbox", "Mailbox", "SMTPSettings"]


class BaseMailbox(AsyncMethods):
    """What a test sees of a mail server: the messages since the mailbox opened, oldest
    first, and ways to wait for them (`..._async` to await them). Subclasses say where
    messages come from."""

    def __init__(self, *, host: str, port: int, settings: SMTPSettings | None = None) -> None:
        self.settings = settings or SMTPSettings(host, port)
        self._token = secrets.token_hex(4)
        self._parsed: dict[str, Message] = {}
        # What sources learn of a message without parsing it (a store event, a search page):
        # `to`, `sender` and `subject` filters decide on these first, and parse only what
        # they cannot rule out.
        self._summaries: dict[str, MessageSummary] = {}

    @property
    def host(self) -> str:
        return self.settings.host

    @property
    def port(self) -> int:
        return self.settings.port

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.settings.url}>"

    # -- what a source provides ----------------------------------------------------------

    def _ids(self) -> list[str]:
        """Ids of the messages that arrived since opening, oldest first."""
        raise NotImplementedError

    def _load(self, id: str) -> Message:
        raise NotImplementedError

    def _await_more(self, seen: int, timeout: float) -> None:
        """Return when more than `seen` messages have arrived, or after `timeout` seconds."""
        raise NotImplementedError

    def _delete(self, ids: list[str]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop collecting. Idempotent."""

    def fail_next(
        self,
        stage: Stage = "rcpt",
        code: int = 451,
        *,
        times: int = 1,
        match: str | None = None,
        text: str = "",
        probability: float = 1.0,
    ) -> None:
        """Make the server refuse the next `times` transactions at `stage` (connect, auth,
        mail, rcpt or data) with `code`, e.g. to test an app's retry logic. With `probability`
        (above 0, at most 1) each transaction is refused only that often, drawn from the
        server's generator: reproducible when the server's Chaos has a seed. See
        `mailtrap.smtp.chaos`; rules a test adds are removed when its mailbox closes.

        Raises ValueError for a rule that cannot work (stage, code, times, probability)."""
        rule = fail_next_rule(
            stage, code, times=times, match=match, text=text, probability=probability
        )
        self._add_rule(rule)  # checked first: a bad rule fails the same way in every mode

    def _add_rule(self, rule: Rule) -> None:
        """Have the server apply `rule` until it is used up or this mailbox closes."""
        raise NotImplementedError

    # -- what arrived --------------------------------------------------------------------

    @property
    def messages(self) -> list[Message]:
        """Every message that arrived while this mailbox was open, oldest first."""
        return self._messages(self._ids())

    def _messages(
        self, ids: list[str], to: Any = None, sender: Any = None, subject: Subject = None
    ) -> list[Message]:
        """The messages `ids` (those since deleted left out), each parsed once; with filters,
        only those whose summary does not rule them out."""
        found = []
        for id in ids:
            if id not in self._parsed:
                summary = self._summaries.get(id)
                if summary is not None and ruled_out(summary, to, sender, subject):
                    continue
                try:
                    self._parsed[id] = self._load(id)
                except MessageNotFound:  # deleted since (clear(), retention)
                    continue
            found.append(self._parsed[id])
        return found

    def address(self, name: str | None = None) -> str:
        """A recipient address unique to this mailbox (the same for the same `name`), so tests
        sharing one server can filter by `to=` and never see each other's mail."""
        return f"{name or 'user'}.{self._token}@mailtrap.test"

    def clear(self) -> None:
        """Delete this mailbox's messages from the server and forget them."""
        self._delete(self._ids())
        self._parsed.clear()
        self._summaries.clear()

    # -- waiting -------------------------------------------------------------------------

    # One message for the default count, a list for any other: callers write
    # `msg = wait_for()` and `a, b = wait_for(2)`, and each is typed. That 1 is also an int
    # is the point (the first overload wins); mypy flags the overlap, hence the ignore.
    @overload
    def wait_for(  # type: ignore[overload-overlap]
        self,
        count: Literal[1] = 1,
        *,
        timeout: float = 5.0,
        to: str | None = None,
        sender: str | None = None,
        subject: Subject = None,
        match: Predicate = None,
        exactly: bool = False,
    ) -> Message: ...

    @overload
    def wait_for(
        self,
        count: int,
        *,
        timeout: float = 5.0,
        to: str | None = None,
        sender: str | None = None,
        subject: Subject = None,
        match: Predicate = None,
        exactly: bool = False,
    ) -> list[Message]: ...

    def wait_for(
        self,
        count: int = 1,
        *,
        timeout: float = 5.0,
        to: str | None = None,
        sender: str | None = None,
        subject: Subject = None,
        match: Predicate = None,
        exactly: bool = False,
    ) -> Message | list[Message]:
        """Wait until `count` matching messages have arrived; return the message (or, when
        `count > 1`, the list, oldest first). Raises AssertionError on timeout, and with
        `exactly`, if more than `count` match by then. RuntimeError on an event loop's thread:
        await `wait_for_async` there.

        `to` matches any recipient (To, Cc, Bcc or envelope), `sender` the From address or
        the envelope sender, `subject` a substring or a compiled regex, `match` a predicate.
        """
        __tracebackhide__ = True  # a failure shows the test's line, not this method's
        refuse_on_a_loop("wait_for")
        if count < 1:
            raise ValueError(f"count must be 1 or more, got {count}; see assert_no_message")
        deadline = time.monotonic() + timeout
        while True:
            ids = self._ids()
            candidates = self._messages(ids, to, sender, subject)
            found = [m for m in candidates if matches(m, to, sender, subject, match)]
            if len(found) > count and exactly:
                raise AssertionError(
                    f"expected exactly {describe(count, to, sender, subject, match)}, "
                    f"but {len(found)} match:\n{table(found)}"
                )
            if len(found) >= count:
                return found[0] if count == 1 else found[:count]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._await_more(len(ids), remaining)
        wanted = describe(count, to, sender, subject, match)
        raise AssertionError(
            f"expected {wanted} within {timeout:g}s; {self._report(to, sender, subject, match)}"
        )

    def assert_no_message(self, within: float = 0.5, **filters: Any) -> None:
        """Fail if a message matching `filters` (as for `wait_for`) arrives within `within`
        seconds (or has already arrived). RuntimeError on an event loop's thread, whose mail
        could not arrive meanwhile: await `assert_no_message_async` there."""
        __tracebackhide__ = True
        refuse_on_a_loop("assert_no_message")
        deadline = time.monotonic() + within
        while True:
            ids = self._ids()
            to, sender, subject = (filters.get(k) for k in ("to", "sender", "subject"))
            candidates = self._messages(ids, to, sender, subject)
            found = [m for m in candidates if matches(m, **filters)]
            if found:
                raise AssertionError(
                    f"expected no {describe(0, **filters)[2:]}, but got:\n{table(found)}"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._await_more(len(ids), remaining)

    def _report(self, to: Any, sender: Any, subject: Any, match: Any) -> str:
        arrived = self.messages
        if not arrived:
            return "no message arrived at all (is the app sending to " + self.settings.url + "?)"
        matching = [m for m in arrived if matches(m, to, sender, subject, match)]
        return f"{len(arrived)} arrived, {len(matching)} matching:\n{table(arrived)}"


class Mailbox(BaseMailbox):
    """The messages an in-process `store` receives from now until `close()`; waiting is woken
    by the store's events, not by polling."""

    def __init__(
        self,
        store: MessageStore,
        *,
        host: str,
        port: int,
        chaos: Chaos | None = None,
        settings: SMTPSettings | None = None,
    ) -> None:
        super().__init__(host=host, port=port, settings=settings)
        self.store = store
        self.chaos = chaos
        self._rules: list[Rule] = []
        self._arrival: list[str] = []
        self._arrived = threading.Condition()
        self._unsubscribe = store.subscribe(self._on_event)

    def _on_event(self, event: StoreEvent) -> None:  # the store's thread
        if event.kind == "new":
            with self._arrived:
                if event.summary is not None:
                    self._summaries[event.summary.id] = event.summary
                self._arrival.extend(event.ids)
                self._arrived.notify_all()

    def _ids(self) -> list[str]:
        with self._arrived:
            return list(self._arrival)

    def _load(self, id: str) -> Message:
        return self.store.get(id)

    def _await_more(self, seen: int, timeout: float) -> None:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self._arrival) > seen, timeout)

    def _delete(self, ids: list[str]) -> None:
        with self._arrived:
            self._arrival = [i for i in self._arrival if i not in set(ids)]
        self.store.delete(ids)

    def _add_rule(self, rule: Rule) -> None:
        if self.chaos is None:
            raise ValueError("this Mailbox has no server chaos to drive; pass chaos=server.chaos")
        self.chaos.add(rule)
        self._rules.append(rule)

    def close(self) -> None:
        self._unsubscribe()
        if self.chaos is not None and self._rules:  # a test's rules never outlive it
            self.chaos.remove(self._rules)
            self._rules.clear()
