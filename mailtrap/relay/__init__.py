"""Releasing caught mail to a real SMTP server, by hand or automatically (Mailpit's relay).

`RelayConfig` says where and how (`mailtrap.relay.config`); `prepare` makes the bytes that go
out and checks the recipients (`mailtrap.relay.message`); `send` talks SMTP to the relay on the
calling thread, within timeouts (`mailtrap.relay.client`); `AutoRelay` relays new mail in the
background (`mailtrap.relay.auto`). Nothing here runs on an event loop: callers on one hand the
work to a thread.
"""

from __future__ import annotations

from mailtrap.relay.auto import AutoRelay, AutoRules, RelayStats
from mailtrap.relay.client import RelayError, send
from mailtrap.relay.config import AUTH_METHODS, RelayConfig, read_relay_file
from mailtrap.relay.message import Prepared, RecipientError, check_recipients, prepare

__all__ = [
    "AUTH_METHODS",
    "AutoRelay",
    "AutoRules",
    "Prepared",
    "RecipientError",
    "RelayConfig",
    "RelayError",
    "RelayStats",
    "check_recipients",
    "prepare",
    "read_relay_file",
    "send",
]
