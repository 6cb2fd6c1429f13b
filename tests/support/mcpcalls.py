"""Calling `mailtrap mcp`'s tools from tests, with the MCP SDK's own client session."""

from __future__ import annotations

import smtplib
from typing import Any

import serving
from mcp import ClientSession

__all__ = ["call", "failure", "send"]


def send(server: serving.Running, raw: bytes, to: str = "bob@example.com") -> None:
    with smtplib.SMTP(*server.smtp, timeout=10) as smtp:
        smtp.sendmail("alice@example.com", [to], raw)


async def call(session: ClientSession, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return dict(result.structured_content)


async def failure(session: ClientSession, tool: str, **arguments: Any) -> str:
    """The text of a tool call that failed, as the agent reads it."""
    result = await session.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    [content] = result.content
    assert content.type == "text"
    return content.text
