"""Settings for `mailtrap serve`: where its `MAILTRAP_*` variables are read.

Every option has a flag and an environment variable (`OPTIONS`, from `mailtrap.option_table`,
which also feeds the
CLI's help and the README's table). Precedence: flag, then variable, then default. The only
other reader of the environment is the pytest plugin, for its `MAILTRAP_PYTEST_*` settings;
the library reads none, and its users pass values to constructors. `mailtrap.options` turns
`Settings` into what the servers take; `mailtrap.flags` parses each value.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from mailtrap.flags import (
    LOOPBACK,
    parse_address,
)
from mailtrap.option import Option
from mailtrap.option_table import OPTIONS
from mailtrap.smtp.chaos import Rule
from mailtrap.smtp.handler import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_MAX_RECIPIENTS,
)
from mailtrap.storage.base import DEFAULT_MAX_MESSAGES
from mailtrap.storage.postgres.url import DEFAULT_SCHEMA, DatabaseURL
from mailtrap.storage.tagrules import TagRule

# Requests a second. Mailpit's default is 1, beyond which it drops requests; mailtrap queues
# them instead, and 10 a second keeps up with a test suite's mail while a load test's flood
# costs the SMTP side next to nothing (README, "Webhooks").
DEFAULT_WEBHOOK_LIMIT = 10

__all__ = [
    "OPTIONS",
    "Option",
    "Settings",
    "default_db_path",
    "default_of",
    "parse_address",
]


def default_db_path(environ: Mapping[str, str] | None = None, platform: str = sys.platform) -> Path:
    """`mail.db` in the user's data directory (XDG on Linux, the usual places elsewhere)."""
    env = os.environ if environ is None else environ
    home = Path(env.get("HOME") or Path.home())
    if platform == "win32":
        base = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "mailtrap" / "mail.db"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything `mailtrap serve` needs. `db=None` means `default_db_path()`."""

    smtp: tuple[str, int] = (LOOPBACK, 1025)
    http: tuple[str, int] = (LOOPBACK, 8025)
    webroot: str = "/"
    db: Path | None = None
    memory: bool = False
    database_url: DatabaseURL | None = None
    database_schema: str = DEFAULT_SCHEMA
    max_messages: int = DEFAULT_MAX_MESSAGES
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    tag: tuple[TagRule, ...] = ()
    hostname: str = "localhost"
    log_level: str = "info"
    loop: str = "auto"
    api_cors: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    allow_internal_http_requests: bool = False
    mcp_http: bool = False
    ui_auth: tuple[str, ...] = ()
    ui_auth_file: Path | None = None
    smtp_max_recipients: int = DEFAULT_MAX_RECIPIENTS
    smtp_max_connections: int = DEFAULT_MAX_CONNECTIONS
    smtp_max_line_length: int = 0
    smtp_idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    smtp_tls_cert: Path | None = None
    smtp_tls_key: Path | None = None
    smtp_starttls: bool = False
    smtp_require_starttls: bool = False
    smtps: tuple[str, int] | None = None
    smtp_auth_accept_any: bool = False
    smtp_auth: tuple[str, ...] = ()
    smtp_auth_file: Path | None = None
    smtp_auth_allow_insecure: bool = False
    chaos: tuple[Rule, ...] = ()
    chaos_seed: int | None = None  # None: a random seed, so probabilities differ per run
    smtp_spamassassin: tuple[str, int] | None = None
    # The relay (mailtrap.relay.config): a file, and flags over it. 0 and "" defer to the file.
    smtp_relay_config: Path | None = None
    smtp_relay_host: str = ""
    smtp_relay_port: int = 0
    smtp_relay_starttls: bool = False
    smtp_relay_tls: bool = False
    smtp_relay_allow_insecure: bool = False
    smtp_relay_ca_file: Path | None = None
    smtp_relay_auth: str = ""
    smtp_relay_username: str = ""
    smtp_relay_password: str = field(default="", repr=False)
    smtp_relay_secret: str = field(default="", repr=False)
    smtp_relay_return_path: str = ""
    smtp_relay_override_from: str = ""
    smtp_relay_allowed_recipients: str = ""
    smtp_relay_blocked_recipients: str = ""
    smtp_relay_preserve_message_ids: bool = False
    smtp_relay_timeout: float = 0.0
    smtp_relay_all: bool = False
    smtp_relay_matching: str = ""
    smtp_forward: tuple[str, ...] = ()
    webhook_url: str | None = None
    webhook_limit: int = DEFAULT_WEBHOOK_LIMIT

    def check(self) -> None:
        """Raise ValueError for combinations that cannot work, naming the flags."""
        if (self.smtp_tls_cert is None) != (self.smtp_tls_key is None):
            raise ValueError("--smtp-tls-cert and --smtp-tls-key go together; give both")
        if self.database_url is not None and (self.memory or self.db is not None):
            other = "--memory" if self.memory else "--db"
            raise ValueError(
                f"--database-url and {other} name two places to keep mail; pass one of them"
            )
        if self.smtp_auth_accept_any and (self.smtp_auth or self.smtp_auth_file):
            raise ValueError(
                "--smtp-auth-accept-any accepts everyone; drop it or drop --smtp-auth/-file"
            )
        if self.smtp_relay_all and self.smtp_relay_matching:
            raise ValueError(
                "--smtp-relay-all relays every message; drop it or drop --smtp-relay-matching"
            )
        relays = self.smtp_relay_all or self.smtp_relay_matching or self.smtp_forward
        if relays and not (self.smtp_relay_host or self.smtp_relay_config):
            raise ValueError(
                "--smtp-relay-all, --smtp-relay-matching and --smtp-forward send through a "
                "relay; name it with --smtp-relay-host (or --smtp-relay-config FILE)"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults overridden by any `MAILTRAP_*` variables set in `environ`.

        Raises ValueError naming the variable when one cannot be parsed."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for option in OPTIONS:
            raw = env.get(option.env)
            if raw is None:
                continue
            try:
                values[option.name] = option.parse(raw)
            except ValueError as exc:
                raise ValueError(f"{option.env}: {exc}") from None
        return cls(**values)


def default_of(option: Option) -> Any:
    """The default value of `option` (its `Settings` field's)."""
    return next(f.default for f in fields(Settings) if f.name == option.name)
