"""What `mailtrap mcp`'s tools do, over a `Source` of mail: a running mailtrap's HTTP API
(`mailtrap.client.Client`, for `mailtrap mcp`), or the store inside `mailtrap serve`
(`mailtrap.web.mcp_http`, for `--mcp-http`).

Plain functions of a `Source`, free of the MCP SDK (`mailtrap.mcp_server` registers them), so
that importing the core never imports it. Each returns a small JSON-able dict in Mailpit's
field names: a coding agent's context is precious, so lists give summaries only, a message's
bodies come on request and are cut at `max_chars` (with how much more there is), and every
list is capped. Each raises `MailtrapError` or ValueError with a reason the agent can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from mailtrap.message.htmltext import html_to_text
from mailtrap.message.models import Address, Attachment, Message, MessageSummary
from mailtrap.storage.base import Page

__all__ = [
    "MAX_CHARS",
    "MAX_LIMIT",
    "MAX_WAIT",
    "Source",
    "delete_messages",
    "extract",
    "get_message",
    "list_messages",
    "wait_for_message",
]

MAX_LIMIT = 100  # summaries in one list
MAX_CHARS = 100_000  # characters of one body in one answer
MAX_ITEMS = 100  # links, codes, headers or attachments in one answer
MAX_HEADER_CHARS = 1_000  # of one header value
MAX_WAIT = 300.0  # the server's own cap on one wait (web/wait.py)


class Source(Protocol):
    """Where the tools read and delete mail: `mailtrap.Client`'s methods of these names, whose
    docstrings give the contracts. Queries are Mailpit's syntax; `get("latest")` is the newest
    message; `wait` raises `WaitTimeout` when fewer than `count` match in time."""

    def messages(self, start: int = 0, limit: int = 50) -> Page: ...
    def search(self, query: str, start: int = 0, limit: int = 50) -> Page: ...
    def get(self, id: str = "latest") -> Message: ...
    def server_time(self) -> datetime: ...
    def wait(
        self,
        query: str = "",
        count: int = 1,
        timeout: float = 10.0,
        *,
        since: datetime | None = None,
    ) -> list[MessageSummary]: ...
    def delete(self, ids: Iterable[str]) -> None: ...
    def delete_search(self, query: str) -> None: ...
    def delete_all(self) -> None: ...


def summary(message: MessageSummary) -> dict[str, Any]:
    """The fields that say what a message is, without its bodies."""
    return {
        "ID": message.id,
        "Created": message.created.isoformat(),
        "From": str(message.sender) if message.sender else "",
        "To": _addresses(message.to),
        "Cc": _addresses(message.cc),
        "Subject": message.subject,
        "Snippet": message.snippet,
        "Size": message.size,
        "Attachments": message.attachment_count,
        "Read": message.read,
        "Tags": list(message.tags),
    }


def list_messages(
    client: Source, query: str = "", start: int = 0, limit: int = 20
) -> dict[str, Any]:
    """The newest messages, or those matching `query` (Mailpit's search syntax)."""
    limit = _bounded("limit", limit, 1, MAX_LIMIT)
    start = _bounded("start", start, 0, 10**9)
    page = client.search(query, start, limit) if query.strip() else client.messages(start, limit)
    return {
        "Total": page.total,
        "Unread": page.unread,
        "Start": page.start,
        "Messages": [summary(m) for m in page.messages],
    }


def get_message(
    client: Source,
    id: str = "latest",
    *,
    body: bool = True,
    headers: bool = False,
    max_chars: int = 4000,
    offset: int = 0,
) -> dict[str, Any]:
    """One message: its summary, envelope and attachments listed; with `body`, the text body
    and the HTML body as text, from character `offset`, at most `max_chars` of each; with
    `headers`, the header fields (decoded)."""
    max_chars = _bounded("max_chars", max_chars, 1, MAX_CHARS)
    offset = _bounded("offset", offset, 0, 10**9)
    message = client.get(id)
    result = summary(message) | {
        "MessageID": message.message_id,
        "Bcc": _addresses(message.bcc),
        "ReplyTo": _addresses(message.reply_to),
        "Date": message.date.isoformat() if message.date else None,
        "Envelope": {"MailFrom": message.envelope.mail_from, "RcptTo": message.envelope.rcpt_tos},
        "AttachmentList": _capped([_attachment(a) for a in message.attachments]),
        "Inline": _capped([_attachment(a) for a in message.inline]),
    }
    if body:
        result["Text"] = _cut(message.text, offset, max_chars)
        result["HTMLAsText"] = _cut(html_to_text(message.html).strip(), offset, max_chars)
        result["HasHTML"] = bool(message.html)
    if headers:
        fields = [[k, v[:MAX_HEADER_CHARS]] for k, v in message.headers]
        result["Headers"] = _capped(fields)
    return result


def wait_for_message(
    client: Source, query: str = "", count: int = 1, timeout: float = 30.0, new_only: bool = False
) -> dict[str, Any]:
    """Once at least `count` messages match `query`, their summaries, newest first (`count`
    of them at most). `new_only` counts only mail that arrives from this call on. Raises
    `WaitTimeout` (a MailtrapError) if fewer matched within `timeout` seconds."""
    count = _bounded("count", count, 1, MAX_LIMIT)
    if not 0 < timeout <= MAX_WAIT:
        raise ValueError(f"timeout {timeout!r} must be above 0 and at most {MAX_WAIT:g} seconds")
    since = client.server_time() if new_only else None
    found = client.wait(query, count=count, timeout=timeout, since=since)
    return {"Matched": len(found), "Messages": [summary(m) for m in found[:count]]}


def extract(client: Source, id: str = "latest", contains: str = "") -> dict[str, Any]:
    """The message's links and one-time codes, those containing `contains` if given."""
    message = client.get(id)
    links = [link for link in message.links() if contains in link]
    codes = [code for code in message.codes() if contains in code]
    return {
        "ID": message.id,
        "Subject": message.subject,
        "Links": _capped(links),
        "Codes": _capped(codes),
    }


def delete_messages(
    client: Source, ids: Sequence[str] = (), query: str = "", everything: bool = False
) -> dict[str, Any]:
    """Delete the messages `ids`, or those matching `query`, or (`everything`) all of them:
    exactly one of the three, so that a forgotten argument never empties the inbox."""
    asked = [bool(ids), bool(query.strip()), everything]
    if asked.count(True) != 1:
        raise ValueError(
            "say what to delete with exactly one of: ids (a list of message IDs), query "
            "(Mailpit's search syntax) or everything=true"
        )
    if ids:  # the server skips IDs it does not have, and does not say which
        client.delete(ids)
        return {"Requested": len(ids)}
    if query.strip():
        total = client.search(query, 0, 1).total
        client.delete_search(query)
        return {"Deleted": total}
    total = client.messages(0, 1).total
    client.delete_all()
    return {"Deleted": total}


def _addresses(addresses: Iterable[Address]) -> list[str]:
    return [str(a) for a in addresses]


def _attachment(part: Attachment) -> dict[str, Any]:
    return {
        "PartID": part.part_id,
        "FileName": part.filename,
        "ContentType": part.content_type,
        "Size": part.size,
    }


def _cut(text: str, offset: int, max_chars: int) -> dict[str, Any]:
    """`max_chars` of `text` from `offset`, with the length, so the rest can be asked for."""
    part = text[offset : offset + max_chars]
    return {"Content": part, "Chars": len(text), "More": offset + len(part) < len(text)}


def _capped(items: list[Any]) -> dict[str, Any]:
    return {"Items": items[:MAX_ITEMS], "Count": len(items)}


def _bounded(name: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ValueError(f"{name} {value!r} must be from {low} to {high}")
    return value
