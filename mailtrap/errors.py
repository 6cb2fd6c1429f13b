"""Exceptions that mailtrap raises on purpose. Each message names the bad value and the fix."""

from __future__ import annotations

__all__ = ["MailtrapError", "MessageNotFound", "StoreClosed"]


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
