"""`JimState`: whether MailHog's chaos monkey is here, and the fault-injection rules it put in
place (web/mailhog_jim.py maps its settings onto them). One per app, on its `AppContext`."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from mailtrap.smtp.chaos import Chaos, Rule

__all__ = ["JimState"]


class JimState:
    """Jim's settings (None: away) and his rules. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: dict[str, float] | None = None
        self._rules: list[Rule] = []

    def settings(self, chaos: Chaos) -> dict[str, float] | None:
        """Jim's settings; None while he is away. A PUT of /api/v1/chaos replaces every rule,
        Jim's too: then he has gone, and is away from now on."""
        with self._lock:
            active = chaos.rules()
            if any(not any(r.same(mine) for r in active) for mine in self._rules):
                self._settings, self._rules = None, []
            return None if self._settings is None else dict(self._settings)

    def set(self, chaos: Chaos, settings: Mapping[str, float] | None, rules: list[Rule]) -> None:
        """Replace Jim's rules in `chaos` with `rules`, in one step for Jim's own callers
        (rules others added stay); `settings` None sends him away."""
        with self._lock:
            chaos.remove(self._rules)
            for rule in rules:
                chaos.add(rule)
            self._rules = list(rules)
            self._settings = None if settings is None else dict(settings)
