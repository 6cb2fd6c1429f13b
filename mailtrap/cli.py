"""`mailtrap` / `mailtrap serve`: the command line. Reads flags and `MAILTRAP_*` variables
(see `mailtrap.config.OPTIONS`) and nothing else from the outside world."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from mailtrap import __version__
from mailtrap.config import OPTIONS, Settings, default_db_path
from mailtrap.errors import MailtrapError
from mailtrap.storage.base import MessageStore
from mailtrap.storage.memory import MemoryStore
from mailtrap.storage.sqlite import SQLiteStore

if TYPE_CHECKING:
    from mailtrap.server import SMTPServer

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    for option in OPTIONS:
        default = "on" if option.default is True else option.default
        help_text = f"{option.help} [env {option.env}; default {default or 'off'}]"
        if option.metavar is None:  # a switch
            common.add_argument(option.flag, dest=option.name, action="store_true",
                                default=argparse.SUPPRESS, help=help_text)  # fmt: skip
        else:
            common.add_argument(option.flag, dest=option.name, metavar=option.metavar,
                                default=argparse.SUPPRESS, help=help_text)  # fmt: skip
    parser = argparse.ArgumentParser(
        prog="mailtrap",
        parents=[common],
        description="A development mail catcher: SMTP sink, web inbox and REST API. "
        "With no command, runs `serve`.",
    )
    parser.add_argument("--version", action="version", version=f"mailtrap {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("serve", parents=[common], help="run the SMTP server and web UI")
    return parser


def resolve_settings(args: argparse.Namespace, environ: Mapping[str, str]) -> Settings:
    """Defaults, then `MAILTRAP_*` variables, then flags. Raises ValueError naming the bad one."""
    settings = Settings.from_env(environ)
    given: dict[str, Any] = {}
    for option in OPTIONS:
        if option.name not in vars(args):
            continue
        value = getattr(args, option.name)
        try:
            given[option.name] = value if isinstance(value, bool) else option.parse(value)
        except ValueError as exc:
            raise ValueError(f"{option.flag}: {exc}") from None
    if given.get("db") and given.get("memory"):
        raise ValueError("--db and --memory contradict each other; pass one of them")
    if "db" in given:
        given.setdefault("memory", False)  # an explicit --db beats MAILTRAP_MEMORY
    return dataclasses.replace(settings, **given)


def open_store(settings: Settings, environ: Mapping[str, str]) -> MessageStore:
    if settings.memory:
        return MemoryStore(max_messages=settings.max_messages)
    path = settings.db or default_db_path(environ)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # mail can hold secrets
    return SQLiteStore(path, max_messages=settings.max_messages)


def _describe(store: MessageStore) -> str:
    if isinstance(store, SQLiteStore):
        return f"SQLite at {store.path}"
    return "memory (lost on exit)"


def serve(settings: Settings, environ: Mapping[str, str], out: TextIO) -> int:
    from mailtrap.web.server import run  # FastAPI and uvicorn load only for the server

    try:
        store = open_store(settings, environ)
    except (MailtrapError, OSError) as exc:
        print(f"mailtrap: {exc}", file=out)
        return 1

    def announce(smtp: SMTPServer, url: str) -> None:
        limit = f"{settings.max_messages:,}" if settings.max_messages else "unlimited"
        print(
            f"mailtrap {__version__}\n"
            f"  SMTP   {smtp.host}:{smtp.port}\n"
            f"  Web    {url}\n"
            f"  Store  {_describe(store)} (keeps {limit} messages)",
            file=out,
            flush=True,
        )

    try:
        asyncio.run(run(store, settings, announce=announce))
    except MailtrapError as exc:
        print(f"mailtrap: {exc}", file=out)
        return 1
    finally:
        store.close()
    print("mailtrap: stopped", file=out, flush=True)
    return 0


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = resolve_settings(args, env)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if settings.log_level != "debug":
        # aiosmtpd logs every SMTP command at INFO: a transcript, not news.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
    return serve(settings, env, sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
