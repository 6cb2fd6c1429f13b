"""`RelayConfig`: the SMTP server that released and relayed mail goes to, and the rules for it.

The keys are Mailpit's (its `--smtp-relay-config` YAML file and `MP_SMTP_RELAY_*` variables),
so a Mailpit relay file works unchanged: host, port, starttls, tls, allow-insecure, auth,
username, password, secret, return-path, override-from, allowed-recipients,
blocked-recipients, preserve-message-ids. mailtrap adds `ca-file` (trust this CA besides the
system's) and `timeout` (seconds for the connection and for each SMTP command). Mailpit's
`forward-smtp-errors` is taken only as false: relaying here never holds up the SMTP client.

The password and secret never appear in a repr, a log line or an error.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["AUTH_METHODS", "DEFAULT_TIMEOUT", "FILE_KEYS", "RelayConfig", "read_relay_file"]

AUTH_METHODS = ("none", "plain", "login", "cram-md5")
DEFAULT_TIMEOUT = 10.0
# Mailpit's file keys -> RelayConfig's fields (Mailpit's deprecated recipient-allowlist too).
FILE_KEYS: dict[str, str] = {
    "host": "host",
    "port": "port",
    "starttls": "starttls",
    "tls": "tls",
    "allow-insecure": "allow_insecure",
    "ca-file": "ca_file",
    "auth": "auth",
    "username": "username",
    "password": "password",
    "secret": "secret",
    "return-path": "return_path",
    "override-from": "override_from",
    "allowed-recipients": "allowed_recipients",
    "recipient-allowlist": "allowed_recipients",
    "blocked-recipients": "blocked_recipients",
    "preserve-message-ids": "preserve_message_ids",
    "timeout": "timeout",
}


@dataclass(frozen=True, slots=True)
class RelayConfig:
    """Where released mail goes. `tls`: implicit TLS from the first byte; `starttls`: upgrade a
    plain connection (the two exclude each other). Certificates are verified against the
    system's CAs plus `ca_file`, unless `allow_insecure`. `auth` is one of `AUTH_METHODS`
    (PLAIN and LOGIN send `password`, CRAM-MD5 proves `secret`). `return_path` replaces the
    Return-Path field and the envelope sender; `override_from` the From address (the name is
    kept, the old field is kept as X-Original-From) and the envelope sender. Recipients must
    match `allowed_recipients` and must not match `blocked_recipients` (regexes, searched in
    the address). Each message gets a new Message-ID unless `preserve_message_ids`.
    `timeout`: seconds for the connection and for each SMTP command.

    Raises ValueError naming the bad value and what to give instead."""

    host: str
    port: int = 25
    starttls: bool = False
    tls: bool = False
    allow_insecure: bool = False
    ca_file: Path | None = None
    auth: str = "none"
    username: str = ""
    password: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)
    return_path: str = ""
    override_from: str = ""
    allowed_recipients: str = ""
    blocked_recipients: str = ""
    preserve_message_ids: bool = False
    timeout: float = DEFAULT_TIMEOUT
    helo: str = "localhost"

    def __post_init__(self) -> None:
        if not self.host.strip():
            raise ValueError("the relay needs a host; give --smtp-relay-host or host: in its file")
        if not 0 < self.port <= 65535:
            raise ValueError(f"relay port {self.port!r} must be a number from 1 to 65535")
        if self.starttls and self.tls:
            raise ValueError(
                "the relay's starttls and tls exclude each other: STARTTLS upgrades a plain "
                "connection (usually port 587), tls starts with TLS (usually port 465); give one"
            )
        auth = self.auth.strip().lower()
        auth = {"": "none", "false": "none", "cram": "cram-md5", "crammd5": "cram-md5"}.get(
            auth, auth
        )
        if auth not in AUTH_METHODS:
            raise ValueError(
                f"relay auth {self.auth!r} is not supported; use one of {', '.join(AUTH_METHODS)}"
            )
        object.__setattr__(self, "auth", auth)
        needs = {"plain": "password", "login": "password", "cram-md5": "secret"}.get(auth)
        if needs and not (self.username and getattr(self, needs)):
            raise ValueError(f"relay auth {auth} needs a username and a {needs}; give both")
        for name in ("allowed_recipients", "blocked_recipients"):
            pattern = getattr(self, name)
            try:
                re.compile(pattern)
            except re.error as exc:
                flag = "--smtp-relay-" + name.replace("_", "-")
                raise ValueError(f"{flag} {pattern!r} is not a regular expression: {exc}") from None
        if not self.timeout > 0:
            raise ValueError(f"relay timeout {self.timeout!r} must be a number of seconds above 0")
        for name in ("return_path", "override_from"):
            value = getattr(self, name)
            if value and not re.fullmatch(r"[^\s<>@]+@[^\s<>@]+", value):
                flag = "--smtp-relay-" + name.replace("_", "-")
                raise ValueError(f"{flag} {value!r} is not an address like bounces@example.com")

    @property
    def server(self) -> str:
        """`host:port`, as Mailpit's web UI configuration reports it."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def allowed(self, address: str) -> bool:
        """Whether mail may go to `address`: it matches the allowed regex (if any) and not
        the blocked one (if any)."""
        if self.allowed_recipients and not re.search(self.allowed_recipients, address):
            return False
        return not (self.blocked_recipients and re.search(self.blocked_recipients, address))

    def tls_context(self) -> ssl.SSLContext:
        """The client context: verifying (system CAs and `ca_file`) unless `allow_insecure`."""
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        if self.allow_insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> RelayConfig:
        """A config from field names -> values (the file's, then the flags' over them)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def read_relay_file(path: Path) -> dict[str, Any]:
    """The relay settings in Mailpit's YAML file at `path`, as RelayConfig field -> value.

    Raises ValueError naming the file and what is wrong (not YAML, an unknown key, a value of
    the wrong type); OSError when it cannot be read."""
    import yaml  # only a server given a relay file needs it

    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"relay config {path} is not YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"relay config {path} must be a mapping of keys such as host: and port:")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "forward-smtp-errors":
            if value:
                raise ValueError(
                    f"relay config {path}: forward-smtp-errors cannot work here: mailtrap relays "
                    "in the background, after the client got its 250, so no relay error can reach "
                    "it (each is logged instead); drop the key"
                )
            continue
        name = FILE_KEYS.get(str(key))
        if name is None:
            raise ValueError(
                f"relay config {path}: {key!r} is not a relay setting; use "
                f"{', '.join(k for k in FILE_KEYS if k != 'recipient-allowlist')}"
            )
        values[name] = _typed(path, str(key), name, value)
    return values


def _typed(path: Path, key: str, name: str, value: Any) -> Any:
    default = next(f.default for f in fields(RelayConfig) if f.name == name)
    if name == "host":
        default = ""
    if value is None:
        return default
    if name == "ca_file":
        return Path(str(value))
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int | float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return type(default)(value)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    kind = "true or false" if isinstance(default, bool) else type(default).__name__
    raise ValueError(f"relay config {path}: {key} is {value!r}; it takes {kind}")
