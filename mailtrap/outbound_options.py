"""The options of what `mailtrap serve` sends out, each off unless given: the relay that
releases and relays caught mail (Mailpit's `--smtp-relay-*` names and file, README "Release and
relay"), forwarding, and webhooks.
"""

from __future__ import annotations

from pathlib import Path

from mailtrap.flags import (
    parse_addresses,
    parse_bool,
    parse_count,
    parse_port,
    parse_regex,
    parse_seconds,
    parse_url,
)
from mailtrap.option import Option

__all__ = ["OUTBOUND_OPTIONS"]

OUTBOUND_OPTIONS: tuple[Option, ...] = (
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
