"""Settings for `mailtrap serve`, and the one place that reads `MAILTRAP_*` variables.

Every option has a flag and an environment variable (`OPTIONS` below, which also feeds the
CLI's help and the README's table). Precedence: flag, then variable, then default. Nothing else
in mailtrap reads the environment; library users pass values to constructors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from mailtrap.smtp import DEFAULT_MAX_MESSAGE_SIZE
from mailtrap.storage.base import DEFAULT_MAX_MESSAGES

__all__ = ["OPTIONS", "Option", "Settings", "default_db_path", "parse_address"]

LOOPBACK = "127.0.0.1"


def parse_address(value: str) -> tuple[str, int]:
    """`HOST:PORT`, `[IPv6]:PORT` or a bare `PORT` (on loopback) -> (host, port)."""
    text = value.strip()
    if text.isdigit():
        host, port_text = LOOPBACK, text
    elif text.startswith("["):
        host, sep, port_text = text[1:].partition("]:")
        if not sep:
            raise ValueError(f"{value!r} is not [IPv6]:PORT, e.g. [::1]:1025")
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep or ":" in host:
            raise ValueError(f"{value!r} is not HOST:PORT, e.g. 127.0.0.1:1025 (IPv6: [::1]:1025)")
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"port in {value!r} must be a number from 0 to 65535")
    return host or LOOPBACK, int(port_text)


def parse_size(value: str) -> int:
    """A byte count with an optional k/M/G suffix (binary), e.g. `25M`; 0 means unlimited."""
    text = value.strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 1024, "M": 1024**2, "G": 1024**3}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    if not number.isdigit():
        raise ValueError(f"{value!r} is not a size; use bytes or a k, M or G suffix, e.g. 25M")
    return int(number) * scale


def parse_count(value: str) -> int:
    if not value.strip().isdigit():
        raise ValueError(f"{value!r} is not a whole number of 0 or more")
    return int(value)


def parse_bool(value: str) -> bool:
    text = value.strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{value!r} is not a boolean; use 1/0, true/false, yes/no or on/off")


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
    db: Path | None = None
    memory: bool = False
    max_messages: int = DEFAULT_MAX_MESSAGES
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    hostname: str = "localhost"
    log_level: str = "info"
    api_cors: tuple[str, ...] = ()

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
    """One setting as the CLI and the environment see it."""

    name: str
    flag: str
    metavar: str | None
    parse: Callable[[str], Any]
    help: str

    @property
    def env(self) -> str:
        return f"MAILTRAP_{self.name.upper()}"

    @property
    def default(self) -> Any:
        return next(f.default for f in fields(Settings) if f.name == self.name)


def _origins(value: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ValueError(f"{origin!r} is not an origin; use e.g. http://localhost:3000")
    return origins


def _level(value: str) -> str:
    levels = ("debug", "info", "warning", "error")
    if value.strip().lower() not in levels:
        raise ValueError(f"{value!r} is not a log level; use one of {', '.join(levels)}")
    return value.strip().lower()


OPTIONS: tuple[Option, ...] = (
    Option("smtp", "--smtp", "HOST:PORT", parse_address, "where the SMTP server listens"),
    Option("http", "--http", "HOST:PORT", parse_address, "where the web UI and API listen"),
    Option("db", "--db", "PATH", Path, "SQLite file to keep mail in (default: user data dir)"),
    Option("memory", "--memory", None, parse_bool, "keep mail in memory only; lost on exit"),
    Option("max_messages", "--max-messages", "N", parse_count,
           "keep at most N messages, pruning the oldest (0: unlimited)"),
    Option("max_message_size", "--max-message-size", "BYTES", parse_size,
           "refuse larger messages with 552 (k/M/G suffixes; 0: unlimited)"),
    Option("hostname", "--hostname", "NAME", str, "name in the SMTP banner and Received field"),
    Option("log_level", "--log-level", "LEVEL", _level, "debug, info, warning or error"),
    Option("api_cors", "--api-cors", "ORIGINS", _origins,
           "comma-separated origins allowed to call the API from a browser (none by default)"),
)  # fmt: skip
