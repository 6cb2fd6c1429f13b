"""Remote mode's settings: the scope a test sees on a shared server, and logging in to one
started with `--ui-auth` without the password ever showing."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
from serving import start

SEND = """
import smtplib

def send(mailtrap, to, subject):
    with smtplib.SMTP(mailtrap.host, mailtrap.port) as smtp:
        smtp.sendmail("app@example.com", [to], f"To: {to}\\r\\nSubject: {subject}\\r\\n\\r\\nhi")
"""

SECRET = "Pw-7q%Zk"  # with a character that URLs must escape
QUOTED = urllib.parse.quote(SECRET, safe="")


def test_the_server_scope_under_xdist_is_refused_with_the_reason(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(
        "[pytest]\nmailtrap_url = http://127.0.0.1:9\nmailtrap_remote_scope = server\n"
    )
    pytester.makepyfile("def test_a(mailtrap):\n    pass\n\ndef test_b(mailtrap):\n    pass\n")
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        ["*mailtrap_remote_scope = server shows each test all of the server's mail*run without -n*"]
    )


def test_a_bad_scope_is_named(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmailtrap_url = http://127.0.0.1:9\nmailtrap_remote_scope = me\n")
    pytester.makepyfile("def test_a(mailtrap):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*mailtrap_remote_scope * must be one of addresses, server*'me'*"])


def test_the_server_scope_sees_every_message_and_the_default_only_its_own(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    running = start("--memory", env={"XDG_DATA_HOME": str(tmp_path)})
    try:
        host, port = running.smtp
        monkeypatch.setenv("MAILTRAP_PYTEST_SMTP", f"{host}:{port}")
        pytester.makeconftest(SEND)
        pytester.makepyfile(
            """
            import os, smtplib, pytest
            from conftest import send

            def test_sees(mailtrap):
                send(mailtrap, "fixed@example.com", "to a fixed address")
                if os.environ.get("MAILTRAP_PYTEST_REMOTE_SCOPE") == "server":
                    assert mailtrap.wait_for(timeout=10).subject == "to a fixed address"
                    mailtrap.fail_next("connect", 421)  # the whole server is this test's
                    with pytest.raises(smtplib.SMTPConnectError):
                        send(mailtrap, "fixed@example.com", "refused")
                else:
                    mailtrap.wait_for(timeout=0.5)
            """
        )
        result = pytester.runpytest("-p", "no:cacheprovider", "--mailtrap-url", running.url)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            [
                "*expected 1 message within 0.5s; no message arrived at all*",
                "*(this mailbox sees only mail to or from its own mailtrap.address(): the server "
                "is shared; mailtrap_remote_scope = server sees all of it, without xdist)*",
            ]
        )
        monkeypatch.setenv("MAILTRAP_PYTEST_REMOTE_SCOPE", "server")
        result = pytester.runpytest("-p", "no:cacheprovider", "--mailtrap-url", running.url)
        result.assert_outcomes(passed=1)
        assert running.get("/api/v1/chaos?extras=1")["Rules"] == []
    finally:
        code, err = running.stop()
    assert code == 0, err


LOGGED_IN = """
from conftest import send

def test_through_a_login(mailtrap):
    assert "{secret}" not in repr(mailtrap) and "{secret}" not in repr(mailtrap.client)
    user = mailtrap.address()
    send(mailtrap, user, "behind --ui-auth")
    assert mailtrap.wait_for(to=user, timeout=10).subject == "behind --ui-auth"

def test_a_failure_shows_no_password(mailtrap):
    mailtrap.wait_for(subject="never", timeout=0.2)
"""


def test_remote_mode_logs_in_to_a_ui_auth_server_and_never_prints_the_password(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """From the URL or from MAILTRAP_PYTEST_UI_AUTH; with `-l` too, which prints every
    traceback frame's locals."""
    running = start("--memory", "--ui-auth", f"qa:{SECRET}", env={"XDG_DATA_HOME": str(tmp_path)})
    outputs: list[str] = []

    def run(url: str, **outcomes: int) -> pytest.RunResult:
        result = pytester.runpytest("-p", "no:cacheprovider", "-l", "-vv", "--mailtrap-url", url)
        result.assert_outcomes(**outcomes)
        outputs.append(result.stdout.str() + result.stderr.str())
        return result

    try:
        host, port = running.smtp
        monkeypatch.setenv("MAILTRAP_PYTEST_SMTP", f"{host}:{port}")
        pytester.makeconftest(SEND)
        pytester.makepyfile(LOGGED_IN.format(secret=SECRET))
        with_login = running.url.replace("http://", f"http://qa:{QUOTED}@")
        run(with_login, passed=1, failed=1)
        monkeypatch.setenv("MAILTRAP_PYTEST_UI_AUTH", f"qa:{SECRET}")
        run(running.url, passed=1, failed=1)
        both = run(with_login, errors=2)
        both.stdout.fnmatch_lines(
            ["*has a login and MAILTRAP_PYTEST_UI_AUTH is set too: give one*"]
        )
        monkeypatch.setenv("MAILTRAP_PYTEST_UI_AUTH", f"qa:wrong-{SECRET}")
        wrong = run(running.url, errors=2)
        wrong.stdout.fnmatch_lines([f"*mailtrap at {running.url} refused the login as 'qa'*"])
        monkeypatch.delenv("MAILTRAP_PYTEST_UI_AUTH")
        missing = run(running.url, errors=2)
        missing.stdout.fnmatch_lines(
            [
                f"*mailtrap at {running.url} requires a login (--ui-auth); put it in the URL "
                "(--mailtrap-url http://USER:PASSWORD@host:port) or in "
                "MAILTRAP_PYTEST_UI_AUTH=USER:PASSWORD*"
            ]
        )
        unreachable = run(f"http://qa:{QUOTED}@127.0.0.1:9", errors=2)
        unreachable.stdout.fnmatch_lines(["*cannot reach mailtrap at http://127.0.0.1:9 *"])
    finally:
        code, err = running.stop()
    assert code == 0, err
    for output in outputs:
        assert SECRET not in output
        assert QUOTED not in output
