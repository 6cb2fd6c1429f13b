"""The web app's options, from `mailtrap serve`'s settings: `WebOptions` holds what the web app
needs and nothing more, so neither its Guard nor its routes see the CLI's `Settings`;
`web_options` builds it, with the relay that /release sends through (`relay_options`).

Imported from `mailtrap.options`, which re-exports each name here. Nothing here reads the
environment: callers pass what they read at their edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from mailtrap.config import Settings
from mailtrap.flags import LOOPBACK, parse_webroot
from mailtrap.relay.config import RelayConfig, read_relay_file
from mailtrap.smtp.auth import Passwords, parse_users, read_users_file
from mailtrap.smtp.handler import DEFAULT_MAX_MESSAGE_SIZE

__all__ = ["WebOptions", "relay_options", "web_options"]

# Bound to every address, the web app has no name of its own to answer to.
_ANY_ADDRESS = frozenset({"0.0.0.0", "::", ""})


@dataclass(frozen=True, slots=True)
class WebOptions:
    """What the web app needs. `allowed_hosts`: the names it answers to besides the loopback
    ones (`*`: any), its guard against DNS rebinding; `api_cors`: origins whose pages may use
    the API; `passwords`: the logins it requires (empty: none); `max_message_size`: the limit
    of /send (0: none), which also bounds request bodies; `smtp`: where its pages say to send
    mail; `webroot`: the path every page and endpoint is served under ("/": none), normalized
    as `--webroot` is (`mail` becomes "/mail/"; ValueError for characters it does not allow);
    `spamassassin`: the (host, port) of the spamd that /sa-check asks (None: no such check);
    `allow_internal_http_requests`: the link check may fetch loopback, private and link-local
    addresses (off: it refuses them, its guard against SSRF); `mcp_http`: serve the MCP tools
    at /mcp (needs the MCP SDK); `relay`: where /release sends mail (None: releasing is off).
    """

    smtp: tuple[str, int] = (LOOPBACK, 1025)
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    api_cors: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    passwords: Passwords = field(default_factory=lambda: Passwords({}))
    webroot: str = "/"
    spamassassin: tuple[str, int] | None = None
    allow_internal_http_requests: bool = False
    mcp_http: bool = False
    relay: RelayConfig | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "webroot", parse_webroot(self.webroot))


def web_options(settings: Settings) -> WebOptions:
    """The web side of `settings`. The address the web app is bound to is one of its names,
    unless it is every address. Raises ValueError for a --ui-auth-file that cannot be read."""
    users = parse_users(settings.ui_auth)
    if settings.ui_auth_file:
        users.update(read_users_file(settings.ui_auth_file))
    bound = settings.http[0].strip().strip("[]").lower()
    own = () if bound in _ANY_ADDRESS else (bound,)
    return WebOptions(
        smtp=settings.smtp,
        max_message_size=settings.max_message_size,
        api_cors=settings.api_cors,
        allowed_hosts=(*settings.allowed_hosts, *own),
        passwords=Passwords(users),
        webroot=settings.webroot,
        spamassassin=settings.smtp_spamassassin,
        allow_internal_http_requests=settings.allow_internal_http_requests,
        mcp_http=settings.mcp_http,
        relay=relay_options(settings),
    )


_RELAY_PREFIX = "smtp_relay_"
_NOT_RELAY = {"smtp_relay_config", "smtp_relay_all", "smtp_relay_matching"}


def relay_options(settings: Settings) -> RelayConfig | None:
    """The relay `settings` describe: `--smtp-relay-config`'s file, with each `--smtp-relay-*`
    flag (or variable) given over its key; None when neither names a host.

    Raises ValueError naming the bad value, OSError for a file that cannot be read."""
    values = read_relay_file(settings.smtp_relay_config) if settings.smtp_relay_config else {}
    defaults = Settings()
    for f in fields(settings):
        name = f.name
        if not name.startswith(_RELAY_PREFIX) or name in _NOT_RELAY:
            continue
        value = getattr(settings, name)
        if value != getattr(defaults, name):
            values[name.removeprefix(_RELAY_PREFIX)] = value
    if not values.get("host"):
        if values:
            given = "the file" if settings.smtp_relay_config else "--smtp-relay-* flags"
            raise ValueError(
                f"{given} configure a relay but name no host; give --smtp-relay-host "
                "(or `host:` in the file)"
            )
        return None
    values.setdefault("helo", settings.hostname)
    return RelayConfig.from_values(values)
