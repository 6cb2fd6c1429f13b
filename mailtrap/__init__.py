"""mailtrap: a development mail catcher and pytest fixture.

Everything public is importable from here; submodules are implementation detail unless their
names appear in `__all__` below.
"""

from __future__ import annotations

__version__ = "0.1.0"

from mailtrap.client import Client, WaitTimeout
from mailtrap.errors import MailtrapError, MessageNotFound, StoreClosed
from mailtrap.mailbox import Mailbox
from mailtrap.models import Address, Attachment, Envelope, Headers, Message, MessageSummary
from mailtrap.search import Query, QueryError, parse_query
from mailtrap.server import SMTPServer
from mailtrap.smtp_settings import SMTPSettings
from mailtrap.storage import MemoryStore, MessageStore, Page, SQLiteStore, StoreEvent

__all__ = [
    "Address",
    "Attachment",
    "Client",
    "Envelope",
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
    "SMTPServer",
    "SMTPSettings",
    "SQLiteStore",
    "StoreClosed",
    "StoreEvent",
    "WaitTimeout",
    "__version__",
    "parse_query",
]
