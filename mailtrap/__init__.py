"""mailtrap: a development mail catcher and pytest fixture.

Everything a user needs is importable from here, and only from here: the names in `__all__`
are the public API (README documents each one). Submodules are implementation detail and may
change; import `mailtrap.Chaos`, not `mailtrap.smtp.chaos.Chaos`. The web app (`mailtrap.web`) and
the pytest plugin (`mailtrap.pytest_plugin`) are separate packages with APIs of their own.
"""

from __future__ import annotations

from mailtrap._version import __version__
from mailtrap.client import Client, WaitTimeout
from mailtrap.errors import MailtrapError, MessageNotFound, StoreClosed, TagExists, TagNotFound
from mailtrap.mailbox import BaseMailbox, Mailbox
from mailtrap.message.extract import ExtractionError
from mailtrap.message.models import Address, Attachment, Envelope, Headers, Message, MessageSummary
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
    "StoredMessage",
    "TagExists",
    "TagNotFound",
    "WaitTimeout",
    "__version__",
    "parse_query",
    "self_signed",
    "server_context",
]
