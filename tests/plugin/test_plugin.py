"""The pytest plugin, exercised the way users meet it: pytester runs real test files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from liveserver import LiveServer
from mailfactory import deliver
from ports import unused_ports
from serving import start

from mailtrap import MemoryStore, SMTPServer
from mailtrap.client import Client
from mailtrap.smtp.chaos import Rule
from mailtrap.web import create_app

SEND = """
import smtplib

def send(mailtrap, to, subject, body="hello", sender="app@example.com"):
    with smtplib.SMTP(mailtrap.host, mailtrap.port) as smtp:
        head = f"From: {sender}\\r\\nTo: {to}\\r\\nSubject: {subject}\\r\\n"
        smtp.sendmail(sender, [to], f"{head}\\r\\n{body}")
"""


def test_fixtures_capture_wait_and_filter(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND)
    pytester.makepyfile(
        """
        import re
        from conftest import send

        def test_signup(mailtrap):
            user = mailtrap.address("alice")
            body = "Confirm: https://app.example/c?t=1&x=2 code 424242"
            send(mailtrap, user, "Welcome, Alice", body)
            message = mailtrap.wait_for(to=user, subject=re.compile("^Welcome"))
            assert message.subject == "Welcome, Alice"
            assert message.link("app.example") == "https://app.example/c?t=1&x=2"
            assert message.code() == "424242"
            assert [m.subject for m in mailtrap.messages] == ["Welcome, Alice"]

        def test_isolated_from_the_previous_test(mailtrap):
            assert mailtrap.messages == []
            send(mailtrap, "a@example.com", "one")
            send(mailtrap, "b@example.com", "two")
            first, second = mailtrap.wait_for(2)
            assert (first.subject, second.subject) == ("one", "two")
            mailtrap.assert_no_message(within=0.1, subject="three")
            mailtrap.clear()
            assert mailtrap.messages == []

        def test_settings(mailtrap):
            assert mailtrap.settings.as_dict() == {"host": mailtrap.host, "port": mailtrap.port}
            assert mailtrap.settings.django["EMAIL_PORT"] == mailtrap.port
            assert mailtrap.settings.url == f"smtp://127.0.0.1:{mailtrap.port}"
            assert mailtrap.address() == mailtrap.address() != mailtrap.address("bob")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_a_timeout_says_what_was_expected_and_what_arrived(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND)
    pytester.makepyfile(
        """
        from conftest import send

        def test_wrong_subject(mailtrap):
            send(mailtrap, "user@example.com", "Reset your password")
            mailtrap.wait_for(subject="Welcome", to="user@example.com", timeout=0.3)

        def test_nothing_sent(mailtrap):
            mailtrap.wait_for(timeout=0.1)

        def test_unexpected_mail(mailtrap):
            send(mailtrap, "user@example.com", "Oops")
            mailtrap.assert_no_message(to="user@example.com")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "*expected 1 message (to='user@example.com', subject='Welcome') within 0.3s; "
            "1 arrived, 0 matching:",
            "*time*from*to*subject",
            "*app@example.com*user@example.com*'Reset your password'",
            "*expected 1 message within 0.1s; no message arrived at all*smtp://127.0.0.1:*",
            "*expected no messages (to='user@example.com'), but got:",
        ]
    )


def test_async_twin(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND)
    pytester.makepyfile(
        """
        import asyncio
        from conftest import send

        def test_async(mailtrap):
            async def main():
                loop = asyncio.get_running_loop()
                loop.call_later(0.05, send, mailtrap, "x@example.com", "async hello")
                return await mailtrap.wait_for_async(subject="async")
            assert asyncio.run(main()).subject == "async hello"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_run_started_inside_an_xdist_worker_is_not_a_worker(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """xdist sets PYTEST_XDIST_WORKER in each worker's environment, so a pytest that a worker
    runs in turn (pytester, here) inherits it. Only the config says who is a worker."""
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    db = pytester.path / "mail" / "test.db"
    pytester.makeini(f"[pytest]\nmailtrap_store = {db}\n")
    pytester.makepyfile(
        """
        def test_server(mailtrap_server):
            assert mailtrap_server.store.path.name == "test.db"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert db.exists()


def test_ini_and_environment_settings(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = pytester.path / "mail" / "test.db"
    pytester.makeini(f"[pytest]\nmailtrap_store = {db}\nmailtrap_port = 0\n")
    pytester.makeconftest(SEND)
    pytester.makepyfile(
        """
        from mailtrap import SQLiteStore
        from conftest import send

        def test_sqlite_store(mailtrap, mailtrap_server):
            assert isinstance(mailtrap_server.store, SQLiteStore)
            assert mailtrap.host == "127.0.0.1"
            send(mailtrap, "x@example.com", "stored on disk")
            assert mailtrap.wait_for().subject == "stored on disk"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert db.exists()
    monkeypatch.setenv("MAILTRAP_PYTEST_PORT", "not-a-port")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*MAILTRAP_PYTEST_PORT must be a port number, got 'not-a-port'*"])


def test_user_fixture_overrides_the_server_options(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        SEND
        + """
import pytest

@pytest.fixture(scope="session")
def mailtrap_server_options():
    return {"host": "127.0.0.1", "port": 0, "store": "memory", "max_message_size": 100}
"""
    )
    pytester.makepyfile(
        """
        import smtplib, pytest

        def test_limit(mailtrap):
            with smtplib.SMTP(mailtrap.host, mailtrap.port) as smtp:
                with pytest.raises(smtplib.SMTPSenderRefused):
                    smtp.sendmail("a@example.com", ["b@example.com"], "x" * 500)
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_extending_the_server_options_sets_idle_timeout_and_seeds_chaos(
    pytester: pytest.Pytester,
) -> None:
    """The README's recipe: ask for the plugin's options, add `idle_timeout` and a seeded
    Chaos; ini settings survive, and fail_next with a probability repeats across sessions."""
    pytester.makeini("[pytest]\nmailtrap_auth = any\nmailtrap_auth_allow_insecure = true\n")
    pytester.makeconftest(
        """
        import pytest
        from mailtrap.smtp.chaos import Chaos

        @pytest.fixture(scope="session")
        def mailtrap_server_options(mailtrap_server_options):
            return {**mailtrap_server_options, "idle_timeout": 0.5, "chaos": Chaos(seed=99)}
        """
    )
    pytester.makepyfile(
        """
        import smtplib, socket

        def test_options(mailtrap_server):
            assert mailtrap_server.idle_timeout == 0.5
            assert mailtrap_server.auth is not None  # the ini setting was kept
            with socket.create_connection((mailtrap_server.host, mailtrap_server.port)) as s:
                s.settimeout(10)
                assert s.recv(1024).startswith(b"220 ")
                assert s.recv(1024).startswith(b"421 ")  # idle for half a second

        def test_soak(mailtrap):
            mailtrap.fail_next("rcpt", 451, times=100, probability=0.5)
            outcomes = ""
            with smtplib.SMTP(mailtrap.host, mailtrap.port) as smtp:
                for i in range(30):
                    try:
                        smtp.sendmail("a@example.com", ["b@example.com"], f"Subject: {i}\\r\\n")
                        outcomes += "+"
                    except smtplib.SMTPRecipientsRefused:
                        outcomes += "-"
                        smtp.rset()
            assert len(mailtrap.messages) == outcomes.count("+")
            print(f"OUTCOMES {outcomes}")
        """
    )
    runs = []
    for _ in range(2):
        result = pytester.runpytest("-p", "no:cacheprovider", "-s")
        result.assert_outcomes(passed=2)
        [line] = [line for line in result.outlines if "OUTCOMES" in line]
        runs.append(line.split("OUTCOMES ", 1)[1])
    assert runs[0] == runs[1]
    assert 5 < runs[0].count("-") < 25


def test_xdist_workers_get_their_own_servers(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND)
    body = """
        from conftest import send

        def test_{n}(mailtrap):
            send(mailtrap, mailtrap.address(), "from test {n}")
            assert mailtrap.wait_for().subject == "from test {n}"
            assert [m.subject for m in mailtrap.messages] == ["from test {n}"]
    """
    pytester.makepyfile(**{f"test_w{n}": body.format(n=n) for n in range(6)})
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)


@pytest.mark.slow
def test_five_hundred_tests_each_send_and_wait(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND)
    pytester.makepyfile(
        """
        import pytest
        from conftest import send

        @pytest.mark.parametrize("n", range(500))
        def test_many(mailtrap, n):
            to = mailtrap.address()
            send(mailtrap, to, f"message {n}")
            assert mailtrap.wait_for(to=to).subject == f"message {n}"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "-q").assert_outcomes(passed=500)


def test_importing_the_plugin_loads_no_web_stack() -> None:
    script = (
        "import sys, mailtrap.pytest_plugin.plugin\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'uvicorn', 'jinja2')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_loading_the_plugin_imports_nothing_but_itself() -> None:
    """pytest loads the plugin in every run. A run that requests no mailtrap fixture pays for
    the plugin's own modules only, not the server, stores and parser (issue 17: 100 ms, now
    under 10 ms; benchmarks/pytest_overhead.py times it)."""
    script = (
        "import sys, pytest\n"
        "before = set(sys.modules)\n"
        "import mailtrap.pytest_plugin.plugin\n"
        "print(' '.join(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = out.stdout.split()
    # Only mailtrap's names are exact: which stdlib modules pytest has loaded already differs
    # between environments (here `hashlib`, which mailtrap._clash uses, sometimes is not).
    assert [m for m in loaded if m.startswith("mailtrap")] == [
        "mailtrap",
        "mailtrap._clash",
        "mailtrap._version",
        "mailtrap.pytest_plugin",
        "mailtrap.pytest_plugin.plugin",
    ]
    heavy = ("aiosmtpd", "email", "sqlite3", "ssl", "asyncio", "httpx", "fastapi", "jinja2")
    assert [m for m in loaded if m.split(".")[0] in heavy] == []


def test_mailtrap_django_routes_django_mail_through_smtp(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import django
        from django.conf import settings

        settings.configure(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                           DEFAULT_FROM_EMAIL="site@example.com")
        django.setup()
        """
    )
    pytester.makepyfile(
        """
        from django.core import mail

        def test_password_reset(mailtrap_django):
            to = mailtrap_django.address("reset")
            mail.send_mail("Reset your password", "Code: 551177", None, [to])
            message = mailtrap_django.wait_for(to=to)
            assert message.subject == "Reset your password"
            assert message.sender.address == "site@example.com"
            assert message.code() == "551177"

        def test_outside_the_fixture_django_is_untouched():
            from django.conf import settings
            assert settings.EMAIL_BACKEND.endswith("locmem.EmailBackend")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_remote_mode_runs_the_same_tests_against_a_running_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    with SMTPServer(store, port=0) as smtp, LiveServer(create_app(store)) as web:
        deliver(store, subject="sent before the test")  # must not show up in the mailbox
        monkeypatch.setenv("MAILTRAP_PYTEST_SMTP", f"{smtp.host}:{smtp.port}")
        pytester.makeconftest(SEND)
        pytester.makepyfile(
            """
            import re
            from conftest import send

            def test_remote(mailtrap):
                assert type(mailtrap).__name__ == "RemoteMailbox"
                user = mailtrap.address()
                send(mailtrap, user, "Welcome remote", "code 777111")
                message = mailtrap.wait_for(to=user, subject=re.compile("remote$"), timeout=10)
                assert message.code() == "777111"
                assert [m.subject for m in mailtrap.messages] == ["Welcome remote"]
                mailtrap.assert_no_message(within=0.2, subject="other")

            def test_remote_timeout_message(mailtrap):
                mailtrap.wait_for(subject="never", timeout=0.3)
            """
        )
        result = pytester.runpytest("-p", "no:cacheprovider", "--mailtrap-url", web.url)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*expected 1 message (subject='never') within 0.3s*"])
    assert store.count() == 2  # the remote test's message went to the outer server


def test_fail_next_tests_retry_logic_and_does_not_leak(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND)
    pytester.makepyfile(
        """
        import smtplib, pytest
        from conftest import send

        def test_retry(mailtrap):
            mailtrap.fail_next("rcpt", 451)
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                send(mailtrap, "b@example.com", "first try")
            send(mailtrap, "b@example.com", "second try")
            assert mailtrap.wait_for().subject == "second try"

        def test_unused_rules_are_gone(mailtrap):
            mailtrap.fail_next("mail", 550, times=5, match="*@nobody.example")

        def test_next_test_is_clean(mailtrap):
            send(mailtrap, "b@example.com", "fine", sender="x@nobody.example")
            assert mailtrap.wait_for().subject == "fine"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_tls_and_auth_modes_expose_a_verifiable_ca(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makeini(f"[pytest]\nmailtrap_tls = {mode}\nmailtrap_auth = app:s3cret\n")
    pytester.makepyfile(
        """
        import smtplib

        def test_secure_login(mailtrap):
            s = mailtrap.settings
            assert s.ca is not None and s.ca.exists()
            assert (s.username, s.password) == ("app", "s3cret")
            if s.tls == "smtps":
                client = smtplib.SMTP_SSL("localhost", s.port, context=s.ssl_context())
            else:
                client = smtplib.SMTP("localhost", s.port)
                client.starttls(context=s.ssl_context())
            with client:
                client.login(s.username, s.password)
                client.sendmail("a@example.com", ["b@example.com"], b"Subject: tls\\r\\n\\r\\nx")
            message = mailtrap.wait_for()
            assert message.envelope.tls and message.username == "app"
            assert s.django["EMAIL_USE_TLS"] == (s.tls == "starttls")
        """
    )
    # A subprocess: cryptography's native types do not survive pytester's in-process reload.
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_fixed_port_is_offset_by_the_xdist_worker_number(pytester: pytest.Pytester) -> None:
    base = unused_ports(2, consecutive=True)[0]
    record = pytester.path / "ports.txt"
    pytester.makeini(f"[pytest]\nmailtrap_port = {base}\n")
    pytester.makeconftest(SEND)
    pytester.makepyfile(
        f"""
        import os
        from conftest import send

        def test_port(mailtrap, mailtrap_server):
            assert mailtrap.port == mailtrap.settings.port == mailtrap_server.port
            send(mailtrap, mailtrap.address(), "on my worker's port")
            assert mailtrap.wait_for().subject == "on my worker's port"
            with open({str(record)!r}, "a") as out:
                out.write(f"{{os.environ['PYTEST_XDIST_WORKER']}} {{mailtrap_server.port}}\\n")
        """
    )
    # --dist each: every worker runs the test, so both workers' servers are seen.
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "each", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    seen = sorted(tuple(line.split()) for line in record.read_text().splitlines())
    assert seen == [("gw0", str(base)), ("gw1", str(base + 1))]


def test_environment_variables_override_the_ini_settings(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    ini_port = unused_ports(2, consecutive=True)[0]
    env_port = ini_port + 1  # free too, and never the ini port
    ini_db, env_db = pytester.path / "ini.db", pytester.path / "env" / "mail.db"
    pytester.makeini(f"[pytest]\nmailtrap_port = {ini_port}\nmailtrap_store = {ini_db}\n")
    monkeypatch.setenv("MAILTRAP_PYTEST_PORT", str(env_port))
    monkeypatch.setenv("MAILTRAP_PYTEST_STORE", str(env_db))
    pytester.makeconftest(SEND)
    pytester.makepyfile(
        f"""
        from pathlib import Path
        from mailtrap import SQLiteStore
        from conftest import send

        def test_env_wins(mailtrap, mailtrap_server):
            assert mailtrap_server.port == mailtrap.port == {env_port}
            assert isinstance(mailtrap_server.store, SQLiteStore)
            send(mailtrap, "x@example.com", "via the environment")
            assert mailtrap.wait_for().subject == "via the environment"
            assert Path({str(env_db)!r}).exists()
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert env_db.exists()
    assert not ini_db.exists()


def test_require_starttls_refuses_plain_mail_and_accepts_it_over_tls(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nmailtrap_tls = require-starttls\n")
    pytester.makepyfile(
        """
        import smtplib, pytest

        RAW = b"Subject: {}\\r\\n\\r\\nbody"

        def test_require_starttls(mailtrap, mailtrap_server):
            assert mailtrap_server.require_starttls
            s = mailtrap.settings
            assert s.tls == "starttls" and s.ca is not None and s.django["EMAIL_USE_TLS"]
            with smtplib.SMTP("localhost", s.port, timeout=10) as plain:
                with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                    plain.sendmail("a@example.com", ["b@example.com"], RAW.replace(b"{}", b"plain"))
            assert refused.value.smtp_code == 530
            with smtplib.SMTP("localhost", s.port, timeout=10) as client:
                client.starttls(context=s.ssl_context())  # verifies against the fixture's CA
                client.sendmail("a@example.com", ["b@example.com"], RAW.replace(b"{}", b"tls"))
            message = mailtrap.wait_for()
            assert message.subject == "tls" and message.envelope.tls
            mailtrap.assert_no_message(within=0.1, subject="plain")
        """
    )
    # A subprocess: cryptography's native types do not survive pytester's in-process reload.
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_remote_fail_next_refuses_mail_and_close_keeps_other_rules(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    with SMTPServer(store, port=0) as smtp:
        app = create_app(store, smtp_stats=smtp.handler.stats, chaos=smtp.chaos)
        with LiveServer(app) as web:
            client = Client(web.url)
            assert client.chaos_rules() == []
            others = {"Stage": "mail", "Code": 550, "Match": "*@blocked.example"}
            client.set_chaos_rules([others])  # someone else's rule, set before the run
            [listed] = client.chaos_rules()
            assert {k: listed[k] for k in others} == others
            monkeypatch.setenv("MAILTRAP_PYTEST_SMTP", f"{smtp.host}:{smtp.port}")
            pytester.makeconftest(SEND)
            pytester.makepyfile(
                """
                import smtplib, pytest
                from conftest import send

                def test_retry(mailtrap):
                    mailtrap.fail_next("rcpt", 451)
                    stages = [r["Stage"] for r in mailtrap.client.chaos_rules()]
                    assert stages == ["mail", "rcpt"]
                    with pytest.raises(smtplib.SMTPRecipientsRefused):
                        send(mailtrap, mailtrap.address("b"), "first try")
                    send(mailtrap, mailtrap.address("b"), "second try")
                    assert mailtrap.wait_for(timeout=10).subject == "second try"

                def test_unused_rule_is_removed_at_the_end(mailtrap):
                    mailtrap.fail_next("data", 554, times=5, match="*@nobody.example")
                    assert len(mailtrap.client.chaos_rules()) == 2

                def test_other_rules_still_apply(mailtrap):
                    with pytest.raises(smtplib.SMTPSenderRefused):
                        send(mailtrap, mailtrap.address(), "x", sender="x@blocked.example")
                    send(mailtrap, mailtrap.address(), "fine", sender="x@nobody.example")
                    assert mailtrap.wait_for(timeout=10).subject == "fine"
                """
            )
            result = pytester.runpytest("-p", "no:cacheprovider", "--mailtrap-url", web.url)
            result.assert_outcomes(passed=3)
            assert smtp.chaos.rules() == [Rule("mail", 550, match="*@blocked.example")]
            client.set_chaos_rules([])
            assert client.chaos_rules() == []
            assert smtp.chaos.rules() == []
    assert sorted(m.subject for m in store.list().messages) == ["fine", "second try"]


def test_remote_mode_against_a_real_mailtrap_serve(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    running = start("--memory", env={"XDG_DATA_HOME": str(tmp_path)})  # waits for its banner
    try:
        host, port = running.smtp
        monkeypatch.setenv("MAILTRAP_PYTEST_SMTP", f"{host}:{port}")
        pytester.makeconftest(SEND)
        pytester.makepyfile(
            """
            from conftest import send

            def test_through_the_real_server(mailtrap):
                assert type(mailtrap).__name__ == "RemoteMailbox"
                user = mailtrap.address()
                send(mailtrap, user, "Hello from serve", "code 314159")
                message = mailtrap.wait_for(to=user, timeout=10)
                assert message.subject == "Hello from serve" and message.code() == "314159"
            """
        )
        result = pytester.runpytest("-p", "no:cacheprovider", "--mailtrap-url", running.url)
        result.assert_outcomes(passed=1)
        assert running.get("/api/v1/messages")["total"] == 1
    finally:
        code, err = running.stop()
    assert code == 0, err


XDIST_NEIGHBOURS = """
import os, smtplib, time
from pathlib import Path
import pytest
from conftest import send

SYNC = Path({sync!r})


def wait_for_file(name):  # a barrier between the two workers, bounded
    deadline = time.monotonic() + 30
    while not (SYNC / name).exists():
        assert time.monotonic() < deadline, f"{{name}} never appeared"
        time.sleep(0.005)


def mark(name):
    (SYNC / name).write_text(os.environ["PYTEST_XDIST_WORKER"])


@pytest.mark.xdist_group("chaos")
def test_chaos(mailtrap):
    mailtrap.fail_next("rcpt", 550, times=3)
    mark("armed")
    try:
        wait_for_file("innocent-sent")
        me = mailtrap.address("chaos")
        for _ in range(3):
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                send(mailtrap, me, "refused")
        send(mailtrap, me, "chaos")
        assert mailtrap.wait_for(timeout=10).subject == "chaos"
        assert [m.subject for m in mailtrap.messages] == ["chaos"]
    finally:
        mark("chaos-done")


@pytest.mark.xdist_group("innocent")
def test_innocent(mailtrap):
    wait_for_file("armed")  # the other worker's rule is in place
    try:
        send(mailtrap, mailtrap.address(), "innocent")
    finally:
        mark("innocent-sent")
    assert mailtrap.wait_for(timeout=10).subject == "innocent"
    wait_for_file("chaos-done")  # the other worker's mail has arrived too
    assert [m.subject for m in mailtrap.messages] == ["innocent"]
    mailtrap.clear()  # deletes this test's mail only
    mailtrap.assert_no_message(within=0.1)  # unfiltered: the other worker's is not in sight
"""


def test_remote_mode_under_xdist_keeps_each_tests_mail_and_rules_to_itself(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Two workers share one `mailtrap serve`: one test refuses its next three recipients
    with 550 while the other, at the same moment on the other worker, sends and counts."""
    running = start("--memory", env={"XDG_DATA_HOME": str(tmp_path)})
    try:
        host, port = running.smtp
        monkeypatch.setenv("MAILTRAP_PYTEST_SMTP", f"{host}:{port}")
        sync = tmp_path / "sync"
        sync.mkdir()
        pytester.makeconftest(SEND)
        pytester.makepyfile(test_neighbours=XDIST_NEIGHBOURS.format(sync=str(sync)))
        result = pytester.runpytest_subprocess(
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-p",
            "no:cacheprovider",
            "--mailtrap-url",
            running.url,
        )
        result.assert_outcomes(passed=2)
        workers = {(sync / name).read_text() for name in ("chaos-done", "innocent-sent")}
        assert workers == {"gw0", "gw1"}  # the two tests ran side by side
        assert running.get("/api/v1/chaos?extras=1")["Rules"] == []  # none outlived its test
        [left] = running.get("/api/v1/messages")["messages"]
        assert left["Subject"] == "chaos"
    finally:
        code, err = running.stop()
    assert code == 0, err
