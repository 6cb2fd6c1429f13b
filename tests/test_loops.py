"""The event loop choice (--loop, MAILTRAP_LOOP, SMTPServer's `loop`): uvloop where installed,
asyncio's loop as the fallback, and a clear error when uvloop is insisted on but missing."""

from __future__ import annotations

import asyncio
import os
import smtplib
import sys

import pytest
import serving
import tools

from mailtrap import MemoryStore, SMTPServer, loops
from mailtrap.cli import main


def _require_uvloop() -> None:
    if os.environ.get("MAILTRAP_TEST_LOOP") == "asyncio":
        pytest.skip("MAILTRAP_TEST_LOOP=asyncio hides uvloop for this run")
    if loops.uvloop_module() is None:
        tools.missing("uvloop is not installed; pip install -e . installs it on Linux and macOS")


def _hide_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes `import uvloop` raise ImportError, as when it is not installed.
    monkeypatch.setitem(sys.modules, "uvloop", None)


@pytest.mark.parametrize("choice", ["uvloop", "asyncio"])
def test_serve_runs_on_the_loop_asked_for_and_says_so(choice: str) -> None:
    if choice == "uvloop":
        _require_uvloop()
    running = serving.start("--memory", "--loop", choice)
    try:
        assert f"  Loop   {choice}\n" in running.banner
        running.send("over " + choice)
        assert running.get("/api/v1/messages")["messages"][0]["Subject"] == "over " + choice
    finally:
        code, err = running.stop()
    assert code == 0, err


def test_serve_takes_the_loop_from_the_environment() -> None:
    running = serving.start("--memory", env={"MAILTRAP_LOOP": "asyncio"})
    try:
        assert "  Loop   asyncio\n" in running.banner
    finally:
        running.stop()


def test_uvloop_asked_for_but_missing_fails_at_start_naming_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _hide_uvloop(monkeypatch)
    argv = ["serve", "--memory", "--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0"]
    assert main([*argv, "--loop", "uvloop"], environ={}) == 1
    err = capsys.readouterr().err
    assert "asked for uvloop, which is not installed; pip install uvloop" in err
    assert "--loop auto" in err


def test_an_unknown_loop_names_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--loop", "trio"], environ={})
    assert "'trio' is not an event loop; use one of auto, asyncio, uvloop" in (
        capsys.readouterr().err
    )
    with pytest.raises(ValueError, match="'trio' is not an event loop"):
        SMTPServer(MemoryStore(), loop="trio")


def test_auto_falls_back_to_asyncio_when_uvloop_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _hide_uvloop(monkeypatch)
    loop = loops.new_loop("auto")
    try:
        assert loops.loop_name(loop) == "asyncio"
    finally:
        loop.close()
    store = MemoryStore()
    with SMTPServer(store, port=0) as server, smtplib.SMTP(server.host, server.port) as client:
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: fallback\r\n\r\nhi")
    assert [m.subject for m in store.list().messages] == ["fallback"]


def test_the_server_thread_runs_on_uvloop_by_default() -> None:
    _require_uvloop()
    store = MemoryStore()
    seen: list[str] = []
    with SMTPServer(store, port=0) as server:
        # What loop the server's thread runs: ask it from inside.
        assert server._runner is not None
        seen.append(server._runner.call(_loop_kind(), 5))
        with smtplib.SMTP(server.host, server.port) as client:
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: uv\r\n\r\nhi")
    assert seen == ["uvloop"]
    assert [m.subject for m in store.list().messages] == ["uv"]


async def _loop_kind() -> str:
    return loops.loop_name(asyncio.get_running_loop())
