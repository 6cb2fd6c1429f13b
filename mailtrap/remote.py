"""`RemoteMailbox`: a test's mailbox on a running `mailtrap serve`, through its HTTP API.

Same interface as the in-process `Mailbox`, so test code does not change between modes. Mail
counts from the server's own clock at opening, so clock skew between the test machine and the
server (a container, another host) cannot hide or add messages; waiting uses the server-side
long-poll, not a sleep loop.

A remote server is shared: by xdist workers, by other test runs, by anyone sending to it. So
by default (`scope="addresses"`) a mailbox sees only mail addressed to (or from) its own
`address()`es, and its `fail_next` rules refuse only transactions to them. What the server
cannot tell apart per test is refused with the reason, never applied to everyone: a rule at
connect or auth (no address is known yet), or at mail without a sender of this test's own.
`scope="server"` sees all mail since opening and applies rules to every client, as a server
of one's own would; the pytest plugin allows it only without xdist.
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from mailtrap.client import Client, WaitTimeout
from mailtrap.mailbox import BaseMailbox
from mailtrap.message.models import Message
from mailtrap.smtp.chaos import RECIPIENT_STAGES, Rule

__all__ = ["RemoteMailbox", "Scope"]

Scope = Literal["addresses", "server"]
MAX_SEEN = 1000  # the newest this many messages since opening are visible
_MAX_WAIT = 300.0  # the server's own cap on one long-poll


class RemoteMailbox(BaseMailbox):
    """The messages the server at `client` receives from now on, within `scope` ("addresses":
    mail to this mailbox's `address()`es; "server": all of it). `host`/`port` are where the
    app under test should send mail (the server's SMTP side)."""

    def __init__(self, client: Client, *, host: str, port: int, scope: Scope = "addresses") -> None:
        if scope not in ("addresses", "server"):
            raise ValueError(f"scope must be 'addresses' or 'server', got {scope!r}")
        super().__init__(host=host, port=port)
        self.client = client
        self.scope = scope
        self._added: list[dict[str, object]] = []
        self._query = f"after:{client.server_time().isoformat()}"
        if scope == "addresses":
            # address() is NAME.TOKEN@mailtrap.test; `addressed:` reads From, To, Cc, Bcc
            # (envelope recipients included) and Reply-To.
            self._query += f" addressed:{self._token}"

    def __repr__(self) -> str:
        return f"<RemoteMailbox {self.client.base_url} smtp={self.settings.url} {self.scope}>"

    @property
    def recipients(self) -> str:
        """The glob of this mailbox's addresses, as its `fail_next` rules carry it."""
        return self.address("*")

    def _ids(self) -> list[str]:
        page = self.client.search(self._query, limit=MAX_SEEN)
        self._summaries.update((m.id, m) for m in page.messages)
        return [m.id for m in reversed(page.messages)]

    def _load(self, id: str) -> Message:
        return self.client.get(id)

    def _await_more(self, seen: int, timeout: float) -> None:
        bounded = min(max(timeout, 0.01), _MAX_WAIT)
        with contextlib.suppress(WaitTimeout):  # the caller checks its own deadline
            self.client.wait(self._query, count=seen + 1, timeout=bounded)

    def _delete(self, ids: list[str]) -> None:
        self.client.delete(ids)

    def _add_rule(self, rule: Rule) -> None:
        recipients = self._scoped(rule)
        wire: dict[str, object] = {
            "Stage": rule.stage,
            "Code": rule.code,
            "Text": rule.text,
            "Times": rule.times,
            "Match": rule.match,
            "Probability": rule.probability,
            "Recipients": recipients,
        }
        self.client.add_chaos_rules([wire])
        self._added.append(wire)

    def _scoped(self, rule: Rule) -> str | None:
        """The recipient glob that keeps `rule` to this mailbox's mail, or None when the scope
        is the server. Raises ValueError for a rule the server could not keep to it."""
        if self.scope == "server":
            return None
        if rule.stage in RECIPIENT_STAGES:
            return self.recipients
        if rule.stage == "mail" and rule.match is not None and self._token in rule.match:
            return None  # the sender glob is this test's own
        fix = (
            f"at {rule.stage} the server knows no address of this test's yet"
            if rule.stage != "mail"
            else "at mail the server knows only the sender: pass match=mailtrap.address(...) "
            "and send from that address"
        )
        raise ValueError(
            f"fail_next({rule.stage!r}) on a shared mailtrap ({self.client.base_url}) would "
            f"refuse other tests' mail too: {fix}. Use 'rcpt' or 'data' (kept to this test's "
            "mailtrap.address() recipients), or mailtrap_remote_scope = server without xdist"
        )

    def close(self) -> None:
        if self._added:  # remove what this test added, keep what others set
            self.client.remove_chaos_rules(self._added)
            self._added.clear()

    def _report(self, *args: Any) -> str:
        report = super()._report(*args)
        if self.scope == "addresses":
            report += (
                "\n(this mailbox sees only mail to or from its own mailtrap.address(): the "
                "server is shared; mailtrap_remote_scope = server sees all of it, without xdist)"
            )
        return report
