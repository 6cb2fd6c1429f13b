"""`mailtrap serve --mcp-http`: the MCP tools at /mcp over streamable HTTP, driven by the MCP
SDK's own HTTP client against `mailtrap serve` in a subprocess."""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import httpx
import httpx2
import serving
from mailfactory import build_mail
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcpcalls import call, failure, send


def test_served_over_http_at_mcp_behind_the_api_login() -> None:
    """`mailtrap serve --mcp-http`: the same tools over streamable HTTP, reading the store
    in-process, behind --ui-auth like the API."""
    running = serving.start("--memory", "--mcp-http", "--ui-auth", "qa:s3cret")
    try:
        url = running.url + "/mcp"
        refused = httpx.post(url, json={}, timeout=10)
        assert refused.status_code == 401  # the Guard's, as for every route
        send(running, build_mail("already here", text="code 482913"))
        subject = f"during {uuid.uuid4().hex[:8]}"

        async def scenario() -> None:
            results: list[dict[str, Any]] = []
            with anyio.fail_after(60):
                await session(results)

        async def session(results: list[dict[str, Any]]) -> None:
            async with (
                httpx2.AsyncClient(auth=("qa", "s3cret")) as http,
                streamable_http_client(url, http_client=http) as (read, write),
                ClientSession(read, write) as s,
            ):
                await s.initialize()
                listed = await call(s, "list_messages")
                assert [m["Subject"] for m in listed["Messages"]] == ["already here"]
                assert (await call(s, "extract"))["Codes"]["Items"] == ["482913"]

                async def wait() -> None:
                    query = f'subject:"{subject}"'
                    results.append(await call(s, "wait_for_message", query=query, timeout=30))

                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(wait)
                    await anyio.sleep(1)
                    assert results == []
                    await anyio.to_thread.run_sync(send, running, build_mail(subject))
                [found] = results
                assert [m["Subject"] for m in found["Messages"]] == [subject]
                late = await failure(s, "wait_for_message", query=subject, new_only=True, timeout=1)
                assert "0 of 1 wanted messages matched" in late
                missing = await failure(s, "get_message", id="nope")
                assert "no message with id 'nope'" in missing
                searched = await call(s, "list_messages", query="subject:already")
                [first] = searched["Messages"]
                assert await call(s, "delete_messages", ids=[first["ID"]]) == {"Requested": 1}
                assert await call(s, "delete_messages", query=subject) == {"Deleted": 1}
                assert (await call(s, "list_messages"))["Total"] == 0
                await anyio.to_thread.run_sync(send, running, build_mail("one more"))
                assert await call(s, "delete_messages", everything=True) == {"Deleted": 1}

        anyio.run(scenario)
    finally:
        running.stop()


def test_no_mcp_route_unless_asked() -> None:
    running = serving.start("--memory")
    try:
        assert httpx.post(running.url + "/mcp", json={}, timeout=10).status_code == 404
    finally:
        running.stop()
