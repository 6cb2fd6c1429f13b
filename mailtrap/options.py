"""The typed path from settings to servers.

`mailtrap serve` (from `Settings`) and the pytest plugin (from its ini settings and its
`mailtrap_server_options` dict) both describe their SMTP server with `smtp_options`, the one
place a TLS mode and a set of logins become `SMTPServer` arguments. The result, a frozen
`SMTPOptions`, starts the server. `WebOptions` holds what the web app needs and nothing more,
so neither its Guard nor its routes see the CLI's `Settings` (it, `web_options` and
`relay_options` live in `mailtrap._weboptions`; import them from here). `serve_options` puts
all of `mailtrap serve` together, and `open_store` opens the store it names.

Nothing here reads the environment: callers pass what they read at their edge.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args

from mailtrap._weboptions import WebOptions, relay_options, web_options
from mailtrap.config import DEFAULT_WEBHOOK_LIMIT, Settings
from mailtrap.errors import MailtrapError
from mailtrap.flags import LOOPBACK
from mailtrap.relay.auto import AutoRules
from mailtrap.relay.config import RelayConfig
from mailtrap.smtp.auth import Authenticator, parse_users, read_users_file
from mailtrap.smtp.chaos import Chaos
from mailtrap.smtp.handler import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_MAX_RECIPIENTS,
)
from mailtrap.smtp.server import SMTPServer
from mailtrap.smtp.tls import Certificates, self_signed, server_context
from mailtrap.storage.base import MessageStore
from mailtrap.storage.memory import MemoryStore
from mailtrap.storage.postgres.url import DEFAULT_SCHEMA, DatabaseURL
from mailtrap.storage.sqlite import SQLiteStore
from mailtrap.storage.tagrules import TagRule

__all__ = [
    "TLS_MODES",
    "SMTPOptions",
    "ServeOptions",
    "TLSMode",
    "WebOptions",
    "WebhookOptions",
    "open_store",
    "relay_options",
    "serve_options",
    "smtp_options",
    "web_options",
]

TLSMode = Literal["off", "starttls", "require-starttls", "smtps"]
TLS_MODES: tuple[str, ...] = get_args(TLSMode)


@dataclass(frozen=True, slots=True)
class SMTPOptions:
    """`SMTPServer`'s keyword arguments as one frozen value (see SMTPServer for each)."""

    host: str = LOOPBACK
    port: int = 1025
    hostname: str = "localhost"
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    max_recipients: int = DEFAULT_MAX_RECIPIENTS
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_line_length: int = 0
    tls_context: ssl.SSLContext | None = None
    starttls: bool = False
    require_starttls: bool = False
    implicit_tls: bool = False
    auth: Authenticator | None = None
    auth_allow_insecure: bool = False
    chaos: Chaos | None = None
    loop: str = "auto"

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> SMTPOptions:
        """Options from a dict of SMTPServer arguments (as a plugin user writes them).

        Raises ValueError naming a key that is no SMTPServer argument, and the ones that are."""
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is not an SMTPServer argument; use one of {', '.join(known)}"
            )
        return cls(**values)

    def server(self, store: MessageStore) -> SMTPServer:
        """A new (not yet started) SMTPServer with these options, storing into `store`."""
        # Not dataclasses.asdict: it deep-copies, and the context and chaos must stay shared.
        return SMTPServer(store, **{f.name: getattr(self, f.name) for f in fields(self)})


def smtp_options(
    base: SMTPOptions | None = None,
    *,
    tls: str = "off",
    tls_context: ssl.SSLContext | None = None,
    logins: Mapping[str, str] | Literal["any"] | None = None,
) -> SMTPOptions:
    """`base` with TLS in mode `tls` and AUTH for `logins`; both `mailtrap serve` and the
    pytest plugin build their SMTP servers with it.

    `tls`: "off" leaves base's TLS arguments as they are; "starttls" offers STARTTLS,
    "require-starttls" refuses mail until the client uses it, and "smtps" makes the listener
    implicit TLS, each with `tls_context`. `logins`: "any" accepts any credentials, a mapping
    (user -> password) requires one of them, None or empty leaves base's AUTH as it is.

    Raises ValueError naming an unknown mode, or a mode that has no `tls_context`."""
    options = base or SMTPOptions()
    if tls not in TLS_MODES:
        raise ValueError(f"{tls!r} is not a TLS mode; use one of {', '.join(TLS_MODES)}")
    if tls != "off":
        if tls_context is None:
            raise ValueError(
                f"TLS mode {tls!r} needs a tls_context; build one with "
                "mailtrap.server_context(mailtrap.self_signed(directory))"
            )
        options = replace(
            options,
            tls_context=tls_context,
            starttls=tls == "starttls",  # SMTPServer offers it when it is required, too
            require_starttls=tls == "require-starttls",
            implicit_tls=tls == "smtps",
        )
    if logins:
        options = replace(options, auth=Authenticator(None if logins == "any" else logins))
    return options


@dataclass(frozen=True, slots=True)
class WebhookOptions:
    """Where `mailtrap.webhook.Webhook` posts each new message's summary (`url`), at most
    `limit` requests a second (0: no limit), each given up after `timeout` seconds. At most
    `queue_limit` wait their turn; beyond that they are dropped (and counted)."""

    url: str
    limit: int = DEFAULT_WEBHOOK_LIMIT
    timeout: float = 5.0  # Mailpit's
    queue_limit: int = 1000


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """Everything `mailtrap serve` runs: its SMTP listeners (SMTP, then SMTPS when asked for),
    the web app's address and options, the certificates in use (to tell the user where the CA
    is), the store (`db` None: in memory; `tag_rules` tag its arriving mail), and the webhook
    (None: none)."""

    listeners: tuple[SMTPOptions, ...]
    http: tuple[str, int]
    web: WebOptions
    certificates: Certificates | None
    db: Path | None
    max_messages: int
    tag_rules: tuple[TagRule, ...] = ()
    relay: RelayConfig | None = None
    auto_relay: AutoRules = field(default_factory=AutoRules)
    webhook: WebhookOptions | None = None
    database_url: DatabaseURL | None = None  # PostgreSQL instead of `db`
    database_schema: str = DEFAULT_SCHEMA
    loop: str = "auto"  # mailtrap.loops.LOOPS


def serve_options(settings: Settings, data_dir: Path) -> ServeOptions:
    """What `settings` come to. `data_dir` holds the default database and a generated
    certificate (cached in `data_dir/tls`).

    Raises ValueError or OSError naming what does not work (an unreadable key or file)."""
    wants_tls = settings.smtp_starttls or settings.smtp_require_starttls or settings.smtps
    certs = None
    if settings.smtp_tls_cert and settings.smtp_tls_key:
        certs = Certificates(settings.smtp_tls_cert, settings.smtp_tls_key)
    elif wants_tls:
        certs = self_signed(data_dir / "tls")
    # Built even when no listener uses it, so a bad --smtp-tls-key fails before the start.
    context = server_context(certs) if certs else None
    users = parse_users(settings.smtp_auth)
    if settings.smtp_auth_file:
        users.update(read_users_file(settings.smtp_auth_file))
    logins: Mapping[str, str] | Literal["any"] = "any" if settings.smtp_auth_accept_any else users
    base = SMTPOptions(
        host=settings.smtp[0],
        port=settings.smtp[1],
        hostname=settings.hostname,
        max_message_size=settings.max_message_size,
        max_recipients=settings.smtp_max_recipients,
        idle_timeout=settings.smtp_idle_timeout,
        max_connections=settings.smtp_max_connections,
        max_line_length=settings.smtp_max_line_length,
        auth_allow_insecure=settings.smtp_auth_allow_insecure,
        chaos=Chaos(settings.chaos, seed=settings.chaos_seed),  # one rule set for all listeners
        loop=settings.loop,
    )
    mode = (
        "require-starttls"
        if settings.smtp_require_starttls
        else "starttls"
        if settings.smtp_starttls
        else "off"
    )
    listeners = [smtp_options(base, tls=mode, tls_context=context, logins=logins)]
    web = web_options(settings)
    if settings.smtps:
        smtps = replace(base, host=settings.smtps[0], port=settings.smtps[1])
        listeners.append(smtp_options(smtps, tls="smtps", tls_context=context, logins=logins))
    return ServeOptions(
        listeners=tuple(listeners),
        http=settings.http,
        web=web,
        certificates=certs,
        db=None if settings.memory else settings.db or data_dir / "mail.db",
        max_messages=settings.max_messages,
        tag_rules=settings.tag,
        relay=web.relay,
        auto_relay=AutoRules(
            all=settings.smtp_relay_all,
            matching=settings.smtp_relay_matching,
            forward=settings.smtp_forward,
        ),
        webhook=(
            WebhookOptions(settings.webhook_url, limit=settings.webhook_limit)
            if settings.webhook_url
            else None
        ),
        database_url=settings.database_url,
        database_schema=settings.database_schema,
        loop=settings.loop,
    )


def open_store(
    db: Path | None,
    *,
    max_messages: int,
    tag_rules: tuple[TagRule, ...] = (),
    database_url: DatabaseURL | None = None,
    database_schema: str = DEFAULT_SCHEMA,
) -> MessageStore:
    """A PostgreSQL store in `database_schema` at `database_url` when one is given; else a
    SQLite store at `db` (its directory made if missing), or one in memory for None. Each tags
    arriving mail by `tag_rules` (`mailtrap.storage.tagrules`). Raises MailtrapError saying
    what to install when PostgreSQL is asked for without the `postgres` extra."""
    if database_url is not None:
        try:
            from mailtrap.storage.postgres.store import PostgresStore
        except ImportError as exc:
            raise MailtrapError(
                f"--database-url needs the postgres extra ({exc.name} is missing); "
                "pip install 'mailtrap-catcher[postgres]'"
            ) from None
        return PostgresStore(
            database_url.secret,
            schema=database_schema,
            max_messages=max_messages,
            tag_rules=tag_rules,
        )
    if db is None:
        return MemoryStore(max_messages=max_messages, tag_rules=tag_rules)
    db.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # mail can hold secrets
    return SQLiteStore(db, max_messages=max_messages, tag_rules=tag_rules)
