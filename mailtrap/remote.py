"""`RemoteMailbox`: a test's mailbox on a running `mailtrap serve`, through its HTTP API.

Same interface as the in-process `Mailbox`, so test code does not change between modes. Mail
counts from the server's own clock at opening, so clock skew between the test machine and the
server (a container, another host) cannot hide or add messages; waiting uses the server-side
long-poll, not a sleep loop.
"""

from __future__ import annotations

import contextlib

from mailtrap.client import Client, WaitTimeout
from mailtrap.mailbox import BaseMailbox
from mailtrap.message.models import Message
from mailtrap.smtp.chaos import Rule

__all__ = ["RemoteMailbox"]

MAX_SEEN = 1000  # the newest this many messages since opening are visible
_MAX_WAIT = 300.0  # the server's own cap on one long-poll


class RemoteMailbox(BaseMailbox):
    """The messages the server at `client` receives from now on. `host`/`port` are where the
    app under test should send mail (the server's SMTP side)."""

    def __init__(self, client: Client, *, host: str, port: int) -> None:
        super().__init__(host=host, port=port)
        self.client = client
        self._added: list[dict[str, object]] = []
        self._query = f"after:{client.server_time().isoformat()}"

    def __repr__(self) -> str:
        return f"<RemoteMailbox {self.client.base_url} smtp={self.settings.url}>"

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
        wire: dict[str, object] = {
            "Stage": rule.stage,
            "Code": rule.code,
            "Text": rule.text,
            "Times": rule.times,
            "Match": rule.match,
            "Probability": rule.probability,
        }
        self._added.append(wire)
        self.client.set_chaos_rules([*self.client.chaos_rules(), wire])

    def close(self) -> None:
        if self._added:  # remove what this test added, keep what others set
            rules = [r for r in self.client.chaos_rules() if not self._is_ours(r)]
            self.client.set_chaos_rules(rules)
            self._added.clear()

    def _is_ours(self, rule: dict[str, object]) -> bool:
        keys = ("Stage", "Code", "Text", "Match")
        return any(all(rule.get(k) == mine.get(k) for k in keys) for mine in self._added)
