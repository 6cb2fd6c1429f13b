"""The options of `mailtrap serve` that shape its own servers: where they listen, how mail is
stored, the web UI's and API's guards, SMTP's limits, TLS, AUTH and faults, and the checks.
`OPTIONS` is every option, these and `mailtrap.outbound_options`' (relay, forward, webhooks),
in the order of `--help` and README's table.
"""

from __future__ import annotations

from pathlib import Path

from mailtrap.flags import (
    parse_address,
    parse_bool,
    parse_count,
    parse_database_url,
    parse_level,
    parse_names,
    parse_origins,
    parse_pairs,
    parse_rules,
    parse_schema,
    parse_seconds,
    parse_size,
    parse_spamd,
    parse_webroot,
)
from mailtrap.loops import parse_loop
from mailtrap.option import Option
from mailtrap.outbound_options import OUTBOUND_OPTIONS
from mailtrap.storage.tagrules import parse_tag_rules

__all__ = ["OPTIONS", "SERVE_OPTIONS"]

SERVE_OPTIONS: tuple[Option, ...] = (
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
        "loop",
        "--loop",
        "NAME",
        parse_loop,
        "event loop: auto (uvloop when installed, else asyncio), asyncio or uvloop",
    ),
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
)

OPTIONS: tuple[Option, ...] = (*SERVE_OPTIONS, *OUTBOUND_OPTIONS)
