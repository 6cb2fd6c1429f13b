"""`mailtrap` / `mailtrap serve`: the command line. Reads flags and `MAILTRAP_*` variables
(see `mailtrap.config.OPTIONS`) and nothing else from the outside world."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import ipaddress
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from mailtrap._clash import problem

# Before the imports below: PyPI's other `mailtrap` replaces some of those modules, and they
# would fail first with a bare ImportError (README, "Two commands").
if (_clash := problem()) is not None:
    sys.exit(f"mailtrap: {_clash}")

from mailtrap._version import __version__
from mailtrap.config import OPTIONS, Settings, default_db_path, default_of, parse_address
from mailtrap.errors import MailtrapError
from mailtrap.loops import loop_factory, loop_name
from mailtrap.options import ServeOptions, open_store, serve_options
from mailtrap.relay.auto import AutoRelay
from mailtrap.smtp.server import PortInUse

if TYPE_CHECKING:
    from mailtrap.smtp.server import SMTPServer

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    for option in OPTIONS:
        default = "on" if default_of(option) is True else default_of(option)
        default = option.shown_default or default or "off"
        help_text = f"{option.help} [env {option.env}; default {default}]"
        kwargs: dict[str, Any] = {"dest": option.name, "default": argparse.SUPPRESS}
        if option.metavar is None:  # a switch
            kwargs["action"] = "store_true"
        else:
            kwargs["metavar"] = option.metavar
            if option.repeatable:
                kwargs["action"] = "append"
        common.add_argument(option.flag, help=help_text, **kwargs)
    parser = argparse.ArgumentParser(
        prog="mailtrap",
        parents=[common],
        description="A development mail catcher: SMTP sink, web inbox and REST API. "
        "With no command, runs `serve`.",
    )
    parser.add_argument("--version", action="version", version=f"mailtrap {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("serve", parents=[common], help="run the SMTP server and web UI")
    # Listed for --help only: main() hands their arguments over before this parser runs,
    # since sendmail's own syntax (-oi, -odi, -fADDR) is not argparse's.
    commands.add_parser(
        "sendmail", help="send the message on stdin, as /usr/sbin/sendmail (see its --help)"
    )
    commands.add_parser(
        "mcp", help="an MCP server over stdio for a running mailtrap (see its --help)"
    )
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
            if isinstance(value, bool):
                given[option.name] = value
            elif isinstance(value, list):  # a repeatable flag
                given[option.name] = tuple(v for item in value for v in option.parse(item))
            else:
                given[option.name] = option.parse(value)
        except ValueError as exc:
            raise ValueError(f"{option.flag}: {exc}") from None
    if given.get("db") and given.get("memory"):
        raise ValueError("--db and --memory contradict each other; pass one of them")
    if "db" in given:
        given.setdefault("memory", False)  # an explicit --db beats MAILTRAP_MEMORY
    resolved = dataclasses.replace(settings, **given)
    resolved.check()
    return resolved


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


SWITCH_INTERVAL = 0.001  # seconds; see serve()
_LISTENER_NAMES = {"http": "web UI and API", "smtp": "SMTP server", "smtps": "SMTPS server"}
_WEB_RISK = "with no login: anyone who can reach it can read and delete the mail"
_SMTP_RISK = "anyone who can reach it can put mail in this inbox"


def exposed_listeners(settings: Settings, *, web_login: bool) -> list[tuple[str, str, int]]:
    """(what, host, port) of every configured listener bound beyond loopback and unguarded.

    A listener is any option parsed by `parse_address`, so one added to `OPTIONS` later is
    checked without anyone remembering to list it here. The web side is guarded by a login
    (`web_login`); nothing guards the others from being reached."""
    exposed: list[tuple[str, str, int]] = []
    for option in OPTIONS:
        address = getattr(settings, option.name)
        if option.parse is not parse_address or address is None:
            continue  # not a listener, or one not asked for (--smtps is optional)
        if option.name == "http" and web_login:
            continue
        host, port = address
        if not _loopback(host):
            exposed.append((_LISTENER_NAMES.get(option.name, option.flag), host, port))
    return exposed


def serve(settings: Settings, environ: Mapping[str, str], out: TextIO) -> int:
    from mailtrap.web.serve import run  # FastAPI and uvicorn load only for the server

    try:  # a bad key, users file or database fails here, before anything listens
        options = serve_options(settings, default_db_path(environ).parent)
        store = open_store(
            options.db,
            max_messages=options.max_messages,
            tag_rules=options.tag_rules,
            database_url=options.database_url,
            database_schema=options.database_schema,
        )
    except (MailtrapError, OSError, ValueError) as exc:
        print(f"mailtrap: {exc}", file=out)
        return 1

    def announce(listeners: list[SMTPServer], url: str) -> None:
        limit = f"{settings.max_messages:,}" if settings.max_messages else "unlimited"
        lines = [f"mailtrap {__version__}"]
        for smtp in listeners:
            kind = "SMTPS" if smtp.implicit_tls else "SMTP "
            extras = [
                x
                for x, on in (
                    ("STARTTLS required", smtp.require_starttls),
                    ("STARTTLS", smtp.starttls and not smtp.require_starttls),
                    ("AUTH", smtp.auth is not None),
                )
                if on
            ]
            lines.append(
                f"  {kind}  {smtp.host}:{smtp.port}" + (f" ({', '.join(extras)})" if extras else "")
            )
        certificates = options.certificates
        if certificates and certificates.ca:
            lines.append(f"  TLS CA {certificates.ca} (trust it to verify the server)")
        if options.relay is not None:
            lines.append(f"  Relay  {options.relay.server} ({_relaying(options)})")
        # Called on the running loop: says what --loop auto came to.
        lines.append(f"  Loop   {loop_name(asyncio.get_running_loop())}")
        lines += [f"  Web    {url}", f"  Store  {store.describe()} (keeps {limit} messages)"]
        print("\n".join(lines), file=out, flush=True)

    for what, host, port in exposed_listeners(settings, web_login=bool(options.web.passwords)):
        risk = _WEB_RISK if what == _LISTENER_NAMES["http"] else _SMTP_RISK
        print(
            f"mailtrap: WARNING: the {what} listens on {host}:{port}, beyond this machine, {risk}",
            file=out,
            flush=True,
        )

    # The store's thread parses in pure Python, holding the GIL between the interpreter's
    # switches; at the default 5 ms each, one hostile message made the event loop wait for
    # the GIL often enough to delay a greeting by a tenth of a second. A process of our own,
    # so the setting is ours to make.
    sys.setswitchinterval(SWITCH_INTERVAL)
    relay = None
    if options.relay is not None and options.auto_relay:
        relay = AutoRelay(store, options.relay, options.auto_relay)
        relay.start()
    try:
        stats = relay.stats if relay is not None else None
        with asyncio.Runner(loop_factory=loop_factory(options.loop)) as runner:
            runner.run(run(store, options, announce=announce, relay_stats=stats))
    except PortInUse as exc:
        flag = "--smtps" if (exc.host, exc.port) == settings.smtps else "--smtp"
        fix = f"stop it or pass another port, e.g. {flag} 127.0.0.1:2525"
        print(f"mailtrap: {exc.saying(fix)}", file=out)
        return 1
    except MailtrapError as exc:
        print(f"mailtrap: {exc}", file=out)
        return 1
    finally:
        if relay is not None:
            relay.stop()
        store.close()
    print("mailtrap: stopped", file=out, flush=True)
    return 0


def _relaying(options: ServeOptions) -> str:
    rules = options.auto_relay
    what = ["release"]
    if rules.all:
        what.append("all new mail")
    elif rules.matching:
        what.append(f"new mail to recipients matching {rules.matching!r}")
    if rules.forward:
        what.append(f"forward to {', '.join(rules.forward)}")
    return "; ".join(what)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments[:1] == ["sendmail"]:
        from mailtrap.sendmail import run as sendmail

        return sendmail(arguments[1:], env, sys.stdin.buffer, sys.stderr)
    if arguments[:1] == ["mcp"]:
        from mailtrap.mcp_command import main as mcp

        return mcp(arguments[1:], env)
    parser = build_parser()
    args = parser.parse_args(arguments)
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
        # aiosmtpd logs every SMTP command at INFO, and httpx every webhook request: a
        # transcript, not news (mailtrap.webhook logs the failures itself).
        for chatty in ("mail.log", "httpx"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    return serve(settings, env, sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
