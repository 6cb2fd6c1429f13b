"""Exceptions that mailtrap raises on purpose. Each message names the bad value and the fix."""

from __future__ import annotations

__all__ = [
    "MailtrapError",
    "MessageNotFound",
    "StoreClosed",
    "StoreUnavailable",
    "TagExists",
    "TagNotFound",
]


class MailtrapError(Exception):
    """Base class for every error mailtrap raises deliberately."""


class MessageNotFound(MailtrapError, KeyError):
    """No message has this id (it never existed, was deleted, or was pruned by retention)."""

    def __init__(self, message_id: str) -> None:
        super().__init__(message_id)
        self.message_id = message_id

    def __str__(self) -> str:
        return (
            f"no message with id {self.message_id!r}; it may have been deleted or pruned "
            "(list the store to see the ids it holds)"
        )


class StoreClosed(MailtrapError, RuntimeError):
    """The store was used after `close()`."""


class StoreUnavailable(MailtrapError, ConnectionError):
    """The store's database server cannot be reached just now (it is down, restarting, or the
    network is). Nothing was changed; the store reconnects by itself, so retry later: the SMTP
    server answers 451 (clients retry), the API 503."""


class TagNotFound(MailtrapError, KeyError):
    """No message carries this tag (compared ignoring case)."""

    def __init__(self, tag: str) -> None:
        super().__init__(tag)
        self.tag = tag

    def __str__(self) -> str:
        return f"no message carries the tag {self.tag!r} (GET /api/v1/tags lists the tags in use)"


class TagExists(MailtrapError, ValueError):
    """A tag cannot be renamed to `new`: another tag in use already has that name."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__(old, new)
        self.old, self.new = old, new

    def __str__(self) -> str:
        return (
            f"cannot rename the tag {self.old!r} to {self.new!r}: a tag by that name is already "
            "in use; delete or rename that one first, or choose another name"
        )
