"""`SMTPStats`: what an SMTP server has counted since its start.

/api/v1/info reports some of it and /metrics all of it (`mailtrap.metrics`), read from the
same object, so nothing on the path of a message is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SMTPStats"]


@dataclass(slots=True)
class SMTPStats:
    """Counters since start: connections (`active` now, and all `connections` made), messages
    stored (and their bytes), transactions refused (in all,
    and by (reason, reply code) in `refusals`), and the outcomes of TLS handshakes (by
    (mode, outcome) in `tls`) and of AUTH attempts (by (mechanism, outcome) in `auth`).

    Only the SMTP server's event loop writes them, with plain arithmetic: no lock on the path
    of every message. A reader on another thread copies a dict (`dict(stats.refusals)`, one
    step under the GIL) before walking it."""

    active: int = 0
    connections: int = 0
    accepted: int = 0
    accepted_bytes: int = 0
    rejected: int = 0
    refusals: dict[tuple[str, str], int] = field(default_factory=dict)
    tls: dict[tuple[str, str], int] = field(default_factory=dict)
    auth: dict[tuple[str, str], int] = field(default_factory=dict)

    def refused(self, reason: str, code: str) -> None:
        """Count a refused transaction: `reason` names the limit or rule that refused it
        ("chaos", "size", "recipients", "connections", "store"), `code` its reply code."""
        self.rejected += 1
        key = (reason, code)
        self.refusals[key] = self.refusals.get(key, 0) + 1

    def tls_outcome(self, mode: str, ok: bool) -> None:
        """Count a TLS handshake: `mode` "starttls" or "smtps"; "ok" or "failed"."""
        key = (mode, "ok" if ok else "failed")
        self.tls[key] = self.tls.get(key, 0) + 1

    def auth_outcome(self, mechanism: str, ok: bool) -> None:
        """Count an AUTH attempt that was answered 235 ("ok") or 535 ("failed")."""
        key = (mechanism, "ok" if ok else "failed")
        self.auth[key] = self.auth.get(key, 0) + 1
