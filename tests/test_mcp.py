"""`mailtrap mcp`, driven by the MCP SDK's own client over stdio, as an agent's MCP client
runs it, against `mailtrap serve` in a subprocess; mail goes in over SMTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import pytest
import serving
from mailfactory import build_mail
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcpcalls import call, failure, send

Session = Callable[[ClientSession], Awaitable[None]]


@pytest.fixture(scope="module")
def server() -> Iterator[serving.Running]:
    running = serving.start("--memory")
    yield running
    running.stop()


def with_session(url: str, scenario: Session, env: dict[str, str] | None = None) -> None:
    """Start `mailtrap mcp --url URL` and run `scenario` on an initialized session."""
    environ = {k: v for k, v in os.environ.items() if k in serving.UNTRACED}  # coverage
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mailtrap", "mcp", "--url", url],
        env={**environ, **(env or {})},
    )

    async def run() -> None:
        with anyio.fail_after(60):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
                await s.initialize()
                await scenario(s)

    anyio.run(run)


def test_list_and_search_give_summaries(server: serving.Running) -> None:
    tag = uuid.uuid4().hex[:8]
    send(server, build_mail(f"welcome {tag}", text="a long body " * 200))
    send(server, build_mail(f"receipt {tag}", to="carol@example.com"), to="carol@example.com")

    async def scenario(s: ClientSession) -> None:
        tools = {t.name for t in (await s.list_tools()).tools}
        assert tools == {
            "list_messages",
            "get_message",
            "wait_for_message",
            "extract",
            "delete_messages",
        }
        listed = await call(s, "list_messages", limit=2)
        assert [m["Subject"] for m in listed["Messages"]] == [f"receipt {tag}", f"welcome {tag}"]
        assert listed["Total"] >= 2
        found = await call(s, "list_messages", query=f"to:carol@example.com {tag}")
        assert found["Total"] == 1
        [summary] = found["Messages"]
        assert summary["Subject"] == f"receipt {tag}"
        assert summary["To"] == ["carol@example.com"]
        assert summary["From"] == '"Alice Example" <alice@example.com>'
        # A summary carries no body: only the server's short snippet.
        welcome = (await call(s, "list_messages", query=f"subject:welcome {tag}"))["Messages"]
        assert "Text" not in welcome[0]
        assert len(welcome[0]["Snippet"]) < 300
        bad = await failure(s, "list_messages", query="before:xyz")
        assert "before:'xyz' is not a date; use a form such as 2000-01-31" in bad

    with_session(server.url, scenario)


def test_get_message_lists_attachments_and_caps_bodies(server: serving.Running) -> None:
    tag = uuid.uuid4().hex[:8]
    html = "<p>Hello <b>Bob</b></p><script>ignored()</script>" + "<p>more</p>" * 500
    raw = build_mail(
        f"invoice {tag}",
        text="Plain hello\n" + "x" * 9000,
        html=html,
        attachments=(("invoice.pdf", "application/pdf", b"%PDF-1.4 " + b"0" * 100),),
    )
    send(server, raw)

    async def scenario(s: ClientSession) -> None:
        [summary] = (await call(s, "list_messages", query=f"subject:{tag}"))["Messages"]
        message = await call(s, "get_message", id=summary["ID"])
        assert message["Envelope"] == {
            "MailFrom": "alice@example.com",
            "RcptTo": ["bob@example.com"],
        }
        [attachment] = message["AttachmentList"]["Items"]
        assert attachment["FileName"] == "invoice.pdf"
        assert attachment["ContentType"] == "application/pdf"
        text = message["Text"]
        assert text["Content"].startswith("Plain hello\n")
        assert (len(text["Content"]), text["More"]) == (4000, True)  # the default cap
        assert text["Chars"] > 9000
        assert message["HTMLAsText"]["Content"].startswith("Hello Bob")
        assert "<" not in message["HTMLAsText"]["Content"]
        assert "ignored()" not in message["HTMLAsText"]["Content"]
        assert "Headers" not in message
        page = await call(s, "get_message", id=summary["ID"], max_chars=5, offset=6, headers=True)
        assert page["Text"]["Content"] == "hello"
        assert ["Subject", f"invoice {tag}"] in page["Headers"]["Items"]
        bare = await call(s, "get_message", id=summary["ID"], body=False)
        assert "Text" not in bare
        missing = await failure(s, "get_message", id="no-such-id")
        assert "no message with id 'no-such-id'" in missing
        too_big = await failure(s, "get_message", max_chars=10**9)
        assert "max_chars" in too_big

    with_session(server.url, scenario)


def test_wait_returns_the_message_sent_during_the_wait(server: serving.Running) -> None:
    subject = f"otp {uuid.uuid4().hex[:8]}"

    async def scenario(s: ClientSession) -> None:
        results: list[dict[str, Any]] = []

        async def wait() -> None:
            query = f'subject:"{subject}"'
            results.append(await call(s, "wait_for_message", query=query, timeout=30))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(wait)
            await anyio.sleep(1)  # the wait is under way: nothing matches yet
            assert results == []
            started = time.monotonic()
            await anyio.to_thread.run_sync(send, server, build_mail(subject))
        # The wait ended because the mail came, not at its 30 s timeout.
        assert time.monotonic() - started < 15
        [found] = results
        assert found["Matched"] == 1
        assert found["Messages"][0]["Subject"] == subject

        # new_only: the mail is there already, so a wait for new mail times out, naming why.
        late = await failure(
            s, "wait_for_message", query=f'subject:"{subject}"', new_only=True, timeout=1
        )
        assert "0 of 1 wanted messages matched" in late

    with_session(server.url, scenario)


def test_extract_links_and_codes(server: serving.Running) -> None:
    tag = uuid.uuid4().hex[:8]
    html = (
        f'<p>Your code is <b>482913</b>.</p><a href="https://app.example/verify?t={tag}&amp;u=1">'
        'Verify</a> <a href="https://app.example/unsubscribe">Unsubscribe</a>'
    )
    send(server, build_mail(f"verify {tag}", text=None, html=html))

    async def scenario(s: ClientSession) -> None:
        found = await call(s, "extract", id="latest")
        assert found["Subject"] == f"verify {tag}"
        assert found["Links"]["Items"] == [
            f"https://app.example/verify?t={tag}&u=1",
            "https://app.example/unsubscribe",
        ]
        assert found["Codes"]["Items"] == ["482913"]
        only = await call(s, "extract", id=found["ID"], contains="verify")
        assert only["Links"]["Items"] == [f"https://app.example/verify?t={tag}&u=1"]

    with_session(server.url, scenario)


def test_delete_needs_to_be_told_what(server: serving.Running) -> None:
    tag = uuid.uuid4().hex[:8]
    for n in range(3):
        send(server, build_mail(f"bulk {tag} {n}"))

    async def scenario(s: ClientSession) -> None:
        refused = await failure(s, "delete_messages")
        assert "exactly one of: ids" in refused
        listed = (await call(s, "list_messages", query=f"subject:{tag}"))["Messages"]
        assert len(listed) == 3
        assert (await call(s, "delete_messages", ids=[listed[0]["ID"]])) == {"Requested": 1}
        assert (await call(s, "delete_messages", query=f"subject:{tag}")) == {"Deleted": 2}
        assert (await call(s, "list_messages", query=f"subject:{tag}"))["Total"] == 0
        await anyio.to_thread.run_sync(send, server, build_mail(f"last {tag}"))
        everything = await call(s, "delete_messages", everything=True)
        assert everything["Deleted"] >= 1
        assert (await call(s, "list_messages"))["Total"] == 0

    with_session(server.url, scenario)


def test_a_login_from_the_environment() -> None:
    running = serving.start("--memory", "--ui-auth", "qa:s3cret")
    try:
        send(running, build_mail("behind a login"))

        async def allowed(s: ClientSession) -> None:
            listed = await call(s, "list_messages")
            assert [m["Subject"] for m in listed["Messages"]] == ["behind a login"]

        async def refused(s: ClientSession) -> None:
            text = await failure(s, "list_messages")
            assert "refused the login as 'qa'" in text
            assert "s3cret" not in text
            assert "wrong" not in text

        with_session(running.url, allowed, {"MAILTRAP_MCP_UI_AUTH": "qa:s3cret"})
        with_session(running.url, refused, {"MAILTRAP_MCP_UI_AUTH": "qa:wrong"})
    finally:
        running.stop()


@pytest.mark.parametrize(
    ("args", "env", "saying"),
    [
        (["--url", "ftp://host"], {}, "--url / MAILTRAP_URL: base_url must start with http://"),
        ([], {"MAILTRAP_URL": "localhost:8025"}, "--url / MAILTRAP_URL: base_url must start"),
        ([], {"MAILTRAP_MCP_UI_AUTH": "qa"}, "MAILTRAP_MCP_UI_AUTH must be USER:PASSWORD"),
        (
            ["--url", "http://qa:pw@127.0.0.1:8025"],
            {"MAILTRAP_MCP_UI_AUTH": "qa:pw"},
            "the URL has a login and MAILTRAP_MCP_UI_AUTH is set too: give one",
        ),
    ],
)
def test_bad_settings_stop_it_before_it_serves(
    args: list[str], env: dict[str, str], saying: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mailtrap", "mcp", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""  # stdout is the protocol's
    assert f"mailtrap mcp: {saying}" in done.stderr
