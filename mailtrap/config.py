"""Settings for `mailtrap serve`: where its `MAILTRAP_*` variables are read.

Every option has a flag and an environment variable (`OPTIONS` below, which also feeds the
CLI's help and the README's table). Precedence: flag, then variable, then default. The only
other reader of the environment is the pytest plugin, for its `MAILTRAP_PYTEST_*` settings;
the library reads none, and its users pass values to constructors. `mailtrap.options` turns
`Settings` into what the servers take; `mailtrap.flags` parses each value.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from mailtrap.flags import (
    LOOPBACK,
    parse_address,
    parse_addresses,
    parse_bool,
    parse_count,
    parse_database_url,
    parse_level,
    parse_names,
    parse_origins,
    parse_pairs,
    parse_port,
    parse_regex,
    parse_rules,
    parse_schema,
    parse_seconds,
    parse_size,
    parse_spamd,
    parse_url,
    parse_webroot,
)
from mailtrap.smtp.chaos import Rule
from mailtrap.smtp.handler import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_MAX_RECIPIENTS,
)
from mailtrap.storage.base import DEFAULT_MAX_MESSAGES
from mailtrap.storage.postgres.url import DEFAULT_SCHEMA, DatabaseURL
from mailtrap.storage.tagrules import TagRule, parse_tag_rules

# Requests a second. Mailpit's default is 1, beyond which it drops requests; mailtrap queues
# them instead, and 10 a second keeps up with a test suite's mail while a load test's flood
# costs the SMTP side next to nothing (README, "Webhooks").
DEFAULT_WEBHOOK_LIMIT = 10

__all__ = [
    "OPTIONS",
    "Option",
    "Settings",
    "default_db_path",
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


@dataclass(frozen=True, slots=True)
class Option:
    """One setting as the CLI and the environment see it. A `repeatable` flag collects
    values (its variable takes them comma-separated)."""

    name: str
    flag: str
    metavar: str | None
    parse: Callable[[str], Any]
    help: str
    repeatable: bool = False
    shown_default: str = ""  # what --help and README say the default is, where not the value

    @property
    def env(self) -> str:
        return f"MAILTRAP_{self.name.upper()}"

    @property
    def default(self) -> Any:
        return next(f.default for f in fields(Settings) if f.name == self.name)


OPTIONS: tuple[Option, ...] = (
    Option("smtp", "--smtp", "HOST:PORT", parse_address, "where the SMTP server listens"),
    Option("http", "--http", "HOST:PORT", parse_address, "where the web UI and API listen"),
    Option(
        "webroot",
        "--webroot",
        "PATH",
        parse_webroot,
        "serve the web UI and API under this path, e.g. /mail/ behind a reverse proxy",
    ),
    Option("db", "--db", "PATH", Path, "SQLite file to keep mail in (default: user data dir)"),
    Option("memory", "--memory", None, parse_bool, "keep mail in memory only; lost on exit"),
    Option(
        "database_url",
        "--database-url",
        "URL",
        parse_database_url,
        "keep mail in PostgreSQL (postgresql://USER:PASSWORD@HOST/DB; needs the postgres "
        "extra); instances given the same database and schema share one inbox",
    ),
    Option(
        "database_schema",
        "--database-schema",
        "NAME",
        parse_schema,
        "the schema in --database-url that holds this inbox (created if missing)",
    ),
    Option(
        "max_messages",
        "--max-messages",
        "N",
        parse_count,
        "keep at most N messages, pruning the oldest (0: unlimited)",
    ),
    Option(
        "max_message_size",
        "--max-message-size",
        "BYTES",
        parse_size,
        "refuse larger messages with 552 (k/M/G suffixes; 0: unlimited)",
    ),
    Option(
        "tag",
        "--tag",
        "TAGS=QUERY",
        parse_tag_rules,
        "tag new mail that QUERY matches with TAGS (comma-separated); Mailpit's form: rules "
        'space-separated, "quoted" to hold spaces (repeatable)',
        repeatable=True,
    ),
    Option("hostname", "--hostname", "NAME", str, "name in the SMTP banner and Received field"),
    Option("log_level", "--log-level", "LEVEL", parse_level, "debug, info, warning or error"),
    Option(
        "api_cors",
        "--api-cors",
        "ORIGINS",
        parse_origins,
        "comma-separated origins allowed to call the API from a browser (none by default)",
    ),
    Option(
        "allowed_hosts",
        "--allowed-hosts",
        "NAMES",
        parse_names,
        "extra host names the web UI and API answer to (DNS-rebinding guard; '*': any)",
    ),
    Option(
        "allow_internal_http_requests",
        "--allow-internal-http-requests",
        None,
        parse_bool,
        "let the link check fetch loopback, private and link-local addresses (SSRF risk: "
        "a mail's links then reach this machine and its network)",
    ),
    Option(
        "mcp_http",
        "--mcp-http",
        None,
        parse_bool,
        "serve the MCP tools of `mailtrap mcp` at /mcp (streamable HTTP, the API's login; "
        "needs mailtrap-catcher[mcp])",
    ),
    Option(
        "ui_auth",
        "--ui-auth",
        "USER:PASS",
        parse_pairs,
        "require this login for the web UI, API and events (repeatable)",
        repeatable=True,
    ),
    Option(
        "ui_auth_file",
        "--ui-auth-file",
        "PATH",
        Path,
        "require a login from this file (USER:PASS or htpasswd -B bcrypt lines)",
    ),
    Option(
        "smtp_max_recipients",
        "--smtp-max-recipients",
        "N",
        parse_count,
        "answer 452 beyond N recipients per message (0: unlimited)",
    ),
    Option(
        "smtp_max_connections",
        "--smtp-max-connections",
        "N",
        parse_count,
        "answer 421 to connections beyond N at once (0: unlimited)",
    ),
    Option(
        "smtp_max_line_length",
        "--smtp-max-line-length",
        "BYTES",
        parse_size,
        "answer 500 to longer message lines (0: only the message size limits them)",
    ),
    Option(
        "smtp_idle_timeout",
        "--smtp-idle-timeout",
        "SECONDS",
        parse_seconds,
        "answer 421 and close a connection idle this long",
    ),
    Option(
        "smtp_tls_cert",
        "--smtp-tls-cert",
        "PATH",
        Path,
        "PEM certificate for STARTTLS/SMTPS (default: a generated one)",
    ),
    Option("smtp_tls_key", "--smtp-tls-key", "PATH", Path, "PEM private key for it"),
    Option("smtp_starttls", "--smtp-starttls", None, parse_bool, "offer STARTTLS"),
    Option(
        "smtp_require_starttls",
        "--smtp-require-starttls",
        None,
        parse_bool,
        "refuse mail (530) until the client uses STARTTLS",
    ),
    Option(
        "smtps", "--smtps", "HOST:PORT", parse_address, "also listen for implicit TLS (SMTPS) there"
    ),
    Option(
        "smtp_auth_accept_any",
        "--smtp-auth-accept-any",
        None,
        parse_bool,
        "offer AUTH and accept any credentials",
    ),
    Option(
        "smtp_auth",
        "--smtp-auth",
        "USER:PASS",
        parse_pairs,
        "require AUTH as this user (repeatable)",
        repeatable=True,
    ),
    Option(
        "smtp_auth_file",
        "--smtp-auth-file",
        "PATH",
        Path,
        "require AUTH as a user in this file (USER:PASS lines)",
    ),
    Option(
        "smtp_auth_allow_insecure",
        "--smtp-auth-allow-insecure",
        None,
        parse_bool,
        "allow AUTH without TLS (RFC 4954 forbids it; for old apps only)",
    ),
    Option(
        "chaos",
        "--chaos",
        "RULE",
        parse_rules,
        "refuse on purpose: STAGE:CODE[:times=N,match=GLOB,recipients=GLOB,probability=P,text=T]"
        " (repeatable)",
        repeatable=True,
    ),
    Option(
        "chaos_seed",
        "--chaos-seed",
        "N",
        parse_count,
        "seed chaos probabilities, so the same seed and traffic refuse the same "
        "transactions (off: random)",
    ),
    Option(
        "smtp_spamassassin",
        "--smtp-spamassassin",
        "HOST:PORT",
        parse_spamd,
        "check mail with the SpamAssassin daemon (spamd) there: GET /api/v1/message/ID/sa-check",
    ),
    Option(
        "smtp_relay_config",
        "--smtp-relay-config",
        "PATH",
        Path,
        "the relay for releasing mail, in Mailpit's YAML file (flags below override its keys)",
    ),
    Option(
        "smtp_relay_host",
        "--smtp-relay-host",
        "HOST",
        str,
        "release and relay mail through the SMTP server on this host",
    ),
    Option(
        "smtp_relay_port",
        "--smtp-relay-port",
        "PORT",
        parse_port,
        "its port",
        shown_default="the file's, else 25",
    ),
    Option(
        "smtp_relay_starttls",
        "--smtp-relay-starttls",
        None,
        parse_bool,
        "upgrade the relay connection with STARTTLS",
    ),
    Option(
        "smtp_relay_tls",
        "--smtp-relay-tls",
        None,
        parse_bool,
        "connect to the relay with implicit TLS (SMTPS)",
    ),
    Option(
        "smtp_relay_allow_insecure",
        "--smtp-relay-allow-insecure",
        None,
        parse_bool,
        "do not verify the relay's TLS certificate",
    ),
    Option(
        "smtp_relay_ca_file",
        "--smtp-relay-ca-file",
        "PATH",
        Path,
        "also trust this PEM CA for the relay's certificate",
    ),
    Option(
        "smtp_relay_auth",
        "--smtp-relay-auth",
        "METHOD",
        str,
        "log in to the relay: none, plain, login or cram-md5",
    ),
    Option("smtp_relay_username", "--smtp-relay-username", "USER", str, "the relay login's user"),
    Option(
        "smtp_relay_password",
        "--smtp-relay-password",
        "PASS",
        str,
        "its password for plain and login (prefer the variable: flags show in ps)",
    ),
    Option("smtp_relay_secret", "--smtp-relay-secret", "SECRET", str, "its secret for cram-md5"),
    Option(
        "smtp_relay_return_path",
        "--smtp-relay-return-path",
        "ADDRESS",
        str,
        "set Return-Path and the envelope sender of relayed mail",
    ),
    Option(
        "smtp_relay_override_from",
        "--smtp-relay-override-from",
        "ADDRESS",
        str,
        "replace the From address of relayed mail (the old From is kept as X-Original-From)",
    ),
    Option(
        "smtp_relay_allowed_recipients",
        "--smtp-relay-allowed-recipients",
        "REGEX",
        parse_regex,
        "relay only to addresses this regex matches",
    ),
    Option(
        "smtp_relay_blocked_recipients",
        "--smtp-relay-blocked-recipients",
        "REGEX",
        parse_regex,
        "never relay to addresses this regex matches",
    ),
    Option(
        "smtp_relay_preserve_message_ids",
        "--smtp-relay-preserve-message-ids",
        None,
        parse_bool,
        "keep relayed mail's Message-ID (by default each gets a new one)",
    ),
    Option(
        "smtp_relay_timeout",
        "--smtp-relay-timeout",
        "SECONDS",
        parse_seconds,
        "give up on a relay that has not connected or answered a command this long",
        shown_default="the file's, else 10",
    ),
    Option(
        "smtp_relay_all",
        "--smtp-relay-all",
        None,
        parse_bool,
        "relay every new message to its recipients, in the background (caution!)",
    ),
    Option(
        "smtp_relay_matching",
        "--smtp-relay-matching",
        "REGEX",
        parse_regex,
        "relay new mail, in the background, to its recipients this regex matches",
    ),
    Option(
        "smtp_forward",
        "--smtp-forward",
        "ADDRESSES",
        parse_addresses,
        "forward every new message, in the background, to these addresses (repeatable)",
        repeatable=True,
    ),
    Option(
        "webhook_url",
        "--webhook-url",
        "URL",
        parse_url,
        "POST each new message's summary (JSON, as Mailpit) to this http(s) URL",
    ),
    Option(
        "webhook_limit",
        "--webhook-limit",
        "N",
        parse_count,
        "send at most N webhook requests a second, queueing the rest (0: no limit)",
    ),
)
