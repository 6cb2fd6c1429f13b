"""mailtrap: a development mail catcher and pytest fixture.

Everything a user needs is importable from here, and only from here: the names in `__all__`
are the public API (README documents each one). Submodules are implementation detail and may
change; import `mailtrap.Chaos`, not `mailtrap.smtp.chaos.Chaos`. The web app (`mailtrap.web`) and
the pytest plugin (`mailtrap.pytest_plugin`) are separate packages with APIs of their own.

Each name is imported on first use (PEP 562), not with the package: pytest imports this
package for its plugin in every run, and a run that never asks for a mailtrap fixture should
not pay the 100 to 200 ms that the SMTP server, the stores and the parser take to import.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from mailtrap._version import __version__

if _typing.TYPE_CHECKING:  # what type checkers and IDEs see; `_HOMES` below is what runs
    from mailtrap.client import Client, WaitTimeout
    from mailtrap.errors import (
        MailtrapError,
        MessageNotFound,
        StoreClosed,
        StoreUnavailable,
        TagExists,
        TagNotFound,
    )
    from mailtrap.mailbox import BaseMailbox, Mailbox
    from mailtrap.message.extract import ExtractionError
    from mailtrap.message.models import (
        Address,
        Attachment,
        Envelope,
        Headers,
        Message,
        MessageSummary,
    )
    from mailtrap.message.search import Query, QueryError, parse_query
    from mailtrap.remote import RemoteMailbox
    from mailtrap.smtp.auth import Authenticator
    from mailtrap.smtp.chaos import Chaos, Rule
    from mailtrap.smtp.server import SMTPServer
    from mailtrap.smtp.settings import SMTPSettings
    from mailtrap.smtp.tls import Certificates, self_signed, server_context
    from mailtrap.storage import (
        MemoryStore,
        MessageStore,
        Page,
        SQLiteStore,
        StoreDescription,
        StoredMessage,
        StoreEvent,
    )
    from mailtrap.storage.postgres import PostgresStore

__all__ = [
    "Address",
    "Attachment",
    "Authenticator",
    "BaseMailbox",
    "Certificates",
    "Chaos",
    "Client",
    "Envelope",
    "ExtractionError",
    "Headers",
    "Mailbox",
    "MailtrapError",
    "MemoryStore",
    "Message",
    "MessageNotFound",
    "MessageStore",
    "MessageSummary",
    "Page",
    "PostgresStore",
    "Query",
    "QueryError",
    "RemoteMailbox",
    "Rule",
    "SMTPServer",
    "SMTPSettings",
    "SQLiteStore",
    "StoreClosed",
    "StoreDescription",
    "StoreEvent",
    "StoreUnavailable",
    "StoredMessage",
    "TagExists",
    "TagNotFound",
    "WaitTimeout",
    "__version__",
    "parse_query",
    "self_signed",
    "server_context",
]

# The module each public name lives in, as the imports above say (tests/test_architecture.py
# holds the two to the same names).
_HOMES = {
    name: module
    for module, names in {
        "mailtrap.client": ("Client", "WaitTimeout"),
        "mailtrap.errors": (
            "MailtrapError",
            "MessageNotFound",
            "StoreClosed",
            "StoreUnavailable",
            "TagExists",
            "TagNotFound",
        ),
        "mailtrap.mailbox": ("BaseMailbox", "Mailbox"),
        "mailtrap.message.extract": ("ExtractionError",),
        "mailtrap.message.models": (
            "Address",
            "Attachment",
            "Envelope",
            "Headers",
            "Message",
            "MessageSummary",
        ),
        "mailtrap.message.search": ("Query", "QueryError", "parse_query"),
        "mailtrap.remote": ("RemoteMailbox",),
        "mailtrap.smtp.auth": ("Authenticator",),
        "mailtrap.smtp.chaos": ("Chaos", "Rule"),
        "mailtrap.smtp.server": ("SMTPServer",),
        "mailtrap.smtp.settings": ("SMTPSettings",),
        "mailtrap.smtp.tls": ("Certificates", "self_signed", "server_context"),
        "mailtrap.storage": (
            "MemoryStore",
            "MessageStore",
            "Page",
            "SQLiteStore",
            "StoreDescription",
            "StoredMessage",
            "StoreEvent",
        ),
        # Needs the `postgres` extra: psycopg is imported with it, on first use only.
        "mailtrap.storage.postgres": ("PostgresStore",),
    }.items()
    for name in names
}


def __getattr__(name: str) -> _typing.Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'mailtrap' has no attribute {name!r}")
    value = getattr(_importlib.import_module(home), name)
    globals()[name] = value  # once: later lookups find it without this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
