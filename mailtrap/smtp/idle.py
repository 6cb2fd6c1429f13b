"""The idle timeout of an SMTP connection: a polite 421, and one timer per connection.

RFC 5321 4.5.3.2 lets a server close a connection that has been idle for a while (five
minutes at least); it should say so first.
"""

from __future__ import annotations

import asyncio
from typing import cast

from aiosmtpd.smtp import SMTP

__all__ = ["IdleTimeoutSMTP"]


class IdleTimeoutSMTP(SMTP):
    """aiosmtpd's `SMTP`, whose idle connections get `421` before they are closed, and whose
    idle timer costs a command one clock read instead of a new timer."""

    _idle_at = 0.0  # when the connection is idle, in loop time
    _timer_at = 0.0  # when the one idle timer fires

    def _reset_timeout(self, duration: float | None = None) -> None:
        # aiosmtpd cancels its idle timer and starts another on every command: a timer-heap
        # removal, an insertion and two objects a command, six times a message. Here a command
        # only moves the deadline; the one timer, if it fires before it, waits for the rest.
        loop = self.loop
        self._idle_at = loop.time() + (duration or self._timeout_duration)
        handle = self._timeout_handle
        if handle is None or handle.cancelled() or self._timer_at > self._idle_at:
            if handle is not None:
                handle.cancel()
            self._arm(self._idle_at)

    def _arm(self, when: float) -> None:
        self._timer_at = when
        self._timeout_handle = self.loop.call_at(when, self._idle_check)

    def _idle_check(self) -> None:
        if self.loop.time() < self._idle_at:
            self._arm(self._idle_at)  # a command came since: wait until the new deadline
        else:
            self._timeout_cb()

    def _timeout_cb(self) -> None:
        # aiosmtpd just drops an idle connection; RFC 5321 4.5.3.2 wants a 421 reply first.
        # A cast, not isinstance(..., asyncio.WriteTransport): uvloop's transports implement
        # the interface without subclassing asyncio's classes, and the check skipped the 421.
        transport = cast("asyncio.WriteTransport | None", self.transport)
        if transport is not None and not transport.is_closing():
            transport.write(b"421 4.4.2 Idle timeout, closing connection\r\n")
        super()._timeout_cb()  # type: ignore[no-untyped-call]
