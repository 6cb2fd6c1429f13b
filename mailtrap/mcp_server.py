"""The MCP server of `mailtrap mcp`: `mailtrap.mcp_tools` registered with the official SDK.

The SDK (the `mcp` package, with pydantic and Starlette behind it) is imported inside
`build`, never with this module: the core must import without the web stack, and without the
optional `mcp` extra installed. No `from __future__ import annotations` here: the SDK reads
the tools' parameter types from their annotations, and the closures' must be real objects.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from mailtrap import mcp_tools
from mailtrap.errors import MailtrapError

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

__all__ = ["INSTRUCTIONS", "build"]

INSTRUCTIONS = """\
Reads the mail caught by a mailtrap development mail server (SMTP sink): what the code \
under development sent. Queries use Mailpit's search syntax: words, "quoted phrases", \
from:, to:, subject:, is:unread, has:attachment, tag:, after:/before: (ISO dates), -negation. \
Typical use: trigger the app's email, then wait_for_message with a query (new_only=true \
ignores mail from before the call), then get_message or extract for links and codes."""

T = TypeVar("T")


def build(client: mcp_tools.Source) -> "MCPServer[Any]":
    """An MCP server whose tools read and delete the mail `client` (a `mailtrap.Client`, or
    the store of the server it runs in) holds.

    Raises ImportError (with the fix) when the `mcp` extra is not installed."""
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
        from mcp.types import ToolAnnotations
        from pydantic import Field
    except ImportError as exc:
        raise ImportError(
            f"`mailtrap mcp` needs the MCP SDK ({exc}); install it with "
            "pip install 'mailtrap-catcher[mcp]'"
        ) from None

    from mailtrap._version import __version__

    server: MCPServer[Any] = MCPServer(
        "mailtrap", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )
    reading = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    def answer(call: Callable[[], T]) -> T:
        """The tool's result; a failure's own words reach the agent (the SDK would hide
        anything but a ToolError's)."""
        try:
            return call()
        except (MailtrapError, ValueError) as exc:
            raise ToolError(str(exc)) from None

    Query = Annotated[
        str, Field(description="Mailpit search syntax, e.g. 'to:bob@example.com subject:welcome'")
    ]
    Id = Annotated[str, Field(description="a message ID from a list, or 'latest' (the newest)")]

    @server.tool(annotations=reading)
    def list_messages(
        query: Query = "",
        start: Annotated[int, Field(ge=0, description="skip this many")] = 0,
        limit: Annotated[int, Field(ge=1, le=mcp_tools.MAX_LIMIT)] = 20,
    ) -> dict[str, Any]:
        """List caught messages, newest first, as summaries (no bodies). With a query,
        only the messages matching it (Mailpit's search syntax)."""
        return answer(lambda: mcp_tools.list_messages(client, query, start, limit))

    @server.tool(annotations=reading)
    def get_message(
        id: Id = "latest",
        body: Annotated[bool, Field(description="include the text and HTML bodies")] = True,
        headers: Annotated[bool, Field(description="include every header field")] = False,
        max_chars: Annotated[
            int, Field(ge=1, le=mcp_tools.MAX_CHARS, description="per body, at most")
        ] = 4000,
        offset: Annotated[int, Field(ge=0, description="start each body here (paging)")] = 0,
    ) -> dict[str, Any]:
        """One message: sender, recipients, subject, envelope, the attachments listed, and
        the text body and the HTML body converted to text (cut at max_chars; 'More' says
        whether there is more, read it with offset)."""
        return answer(
            lambda: mcp_tools.get_message(
                client, id, body=body, headers=headers, max_chars=max_chars, offset=offset
            )
        )

    @server.tool(annotations=reading)
    def wait_for_message(
        query: Query = "",
        count: Annotated[int, Field(ge=1, le=mcp_tools.MAX_LIMIT)] = 1,
        timeout: Annotated[float, Field(gt=0, le=mcp_tools.MAX_WAIT, description="seconds")] = 30.0,
        new_only: Annotated[
            bool, Field(description="count only mail arriving after this call starts")
        ] = False,
    ) -> dict[str, Any]:
        """Wait until at least `count` messages match the query, then list them (summaries,
        newest first). Fails if they do not arrive within `timeout` seconds."""
        return answer(lambda: mcp_tools.wait_for_message(client, query, count, timeout, new_only))

    @server.tool(annotations=reading)
    def extract(
        id: Id = "latest",
        contains: Annotated[str, Field(description="keep only those containing this")] = "",
    ) -> dict[str, Any]:
        """The links (HTML hrefs and URLs in the text) and one-time codes (4-8 digits, or
        6-10 capital letters and digits) in a message, in order."""
        return answer(lambda: mcp_tools.extract(client, id, contains))

    @server.tool(annotations=ToolAnnotations(destructive_hint=True, open_world_hint=False))
    def delete_messages(
        ids: Annotated[list[str] | None, Field(description="message IDs to delete")] = None,
        query: Annotated[str, Field(description="delete what this search matches")] = "",
        everything: Annotated[bool, Field(description="delete every message")] = False,
    ) -> dict[str, Any]:
        """Delete messages: give exactly one of ids, query or everything=true."""
        return answer(lambda: mcp_tools.delete_messages(client, ids or (), query, everything))

    return server
