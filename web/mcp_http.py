"""`--mcp-http`: the tools of `mailtrap mcp` served at /mcp by `mailtrap serve` itself.

MCP's streamable HTTP transport (the SDK's own app), stateless and answering in JSON, routed
inside the web app, so that the Guard in front of every route applies to it too: the same
login (`--ui-auth`), Host check and cross-site refusals as the API (the SDK's own DNS
rebinding check is off: the Guard's is the one that knows `--allowed-hosts`). The tools read
the store directly (`StoreSource`), waiting on the event hub as /api/v1/wait does. The SDK is
imported only when the flag is on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

import anyio.from_thread
import anyio.to_thread
from fastapi import FastAPI

from mailtrap.client import WaitTimeout
from mailtrap.errors import MailtrapError, MessageNotFound
from mailtrap.message.models import Message, MessageSummary
from mailtrap.message.search import parse_query
from mailtrap.storage.base import MessageStore, Page
from mailtrap.web.hub import EventHub
from mailtrap.web.wait import MAX_WAIT

__all__ = ["PATH", "StoreSource", "mount"]

PATH = "/mcp"


class StoreSource:
    """`mailtrap.mcp_tools.Source` over the store of this server. Its methods block: the SDK
    runs the tools (plain functions) on worker threads, and `wait` hands its waiting to the
    event loop, where the hub's changes are heard."""

    def __init__(self, store: MessageStore, hub: EventHub) -> None:
        self.store = store
        self.hub = hub

    def messages(self, start: int = 0, limit: int = 50) -> Page:
        return self.store.list(start, limit)

    def search(self, query: str, start: int = 0, limit: int = 50) -> Page:
        return self.store.search(parse_query(query), start, limit)

    def get(self, id: str = "latest") -> Message:
        if id == "latest":
            newest = self.store.list(0, 1).messages
            if not newest:
                raise MessageNotFound("latest")
            id = newest[0].id
        return self.store.get(id)

    def server_time(self) -> datetime:
        return self.store.now()

    def wait(
        self,
        query: str = "",
        count: int = 1,
        timeout: float = 10.0,
        *,
        since: datetime | None = None,
    ) -> list[MessageSummary]:
        if since is not None:
            query = f"{query} after:{since.isoformat()}".strip()
        return anyio.from_thread.run(self._wait, query, count, min(timeout, MAX_WAIT))

    async def _wait(self, query: str, count: int, timeout: float) -> list[MessageSummary]:
        parsed = parse_query(query)
        deadline = anyio.current_time() + timeout
        while True:
            change = self.hub.next_change()  # before searching: no change slips between
            page = await anyio.to_thread.run_sync(self.store.search, parsed, 0, count)
            if page.total >= count:
                return list(page.messages)
            remaining = deadline - anyio.current_time()
            if remaining <= 0 or not await self.hub.changed(remaining, change):
                raise WaitTimeout(
                    f"{page.total} of {count} wanted messages matched {query!r} within "
                    f"{timeout:g}s; send the mail first, or wait longer (max {MAX_WAIT:g}s)"
                )

    def delete(self, ids: Iterable[str]) -> None:
        self.store.delete(ids)

    def delete_search(self, query: str) -> None:
        self.store.delete(self.store.ids(parse_query(query)))

    def delete_all(self) -> None:
        self.store.delete_all()


def mount(
    app: FastAPI, store: MessageStore, hub: EventHub
) -> Callable[[], AbstractAsyncContextManager[None]]:
    """Route PATH of `app` to an MCP server over `store`; return what the app's lifespan must
    enter (the SDK's session manager). Raises MailtrapError when the SDK is not installed."""
    from mailtrap.mcp_server import build

    try:
        server = build(StoreSource(store, hub))
        from mcp.server.transport_security import TransportSecuritySettings
    except ImportError as exc:
        raise MailtrapError(f"--mcp-http: {exc}") from None
    sdk_app = server.streamable_http_app(
        streamable_http_path=PATH,
        stateless_http=True,  # each request stands alone: nothing to keep per client
        json_response=True,  # one JSON answer per request, no event stream to hold open
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    app.router.routes.extend(sdk_app.routes)
    run: Callable[[], AbstractAsyncContextManager[None]] = server.session_manager.run
    return run
