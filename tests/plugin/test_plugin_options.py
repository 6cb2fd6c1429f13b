"""The plugin's `mailtrap_server_options` dict, converted at the edge into typed options."""

from __future__ import annotations

import socket

import pytest


def test_a_key_that_is_no_server_argument_is_named_with_the_valid_ones(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def mailtrap_server_options(mailtrap_server_options):
            return {**mailtrap_server_options, "idle": 0.5}
        """
    )
    pytester.makepyfile("def test_send(mailtrap):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*mailtrap_server_options: 'idle' is not an SMTPServer argument; use one of host, *"]
    )


def test_tls_without_certificates_says_which_fixture_to_fix(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmailtrap_tls = starttls\n")
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def mailtrap_certificates():
            return None
        """
    )
    pytester.makepyfile("def test_send(mailtrap):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*'starttls', but the mailtrap_certificates fixture gave no*"])


def test_server_arguments_given_directly_still_reach_the_server(
    pytester: pytest.Pytester,
) -> None:
    """A user's own TLS arguments pass through with the ini's `tls` left off, as before."""
    pytester.makeconftest(
        """
        import pytest
        from mailtrap import self_signed, server_context

        @pytest.fixture(scope="session")
        def own_certs(tmp_path_factory):
            return self_signed(tmp_path_factory.mktemp("own-tls"))

        @pytest.fixture(scope="session")
        def mailtrap_server_options(mailtrap_server_options, own_certs):
            context = server_context(own_certs)
            return {**mailtrap_server_options, "tls_context": context, "starttls": True}
        """
    )
    pytester.makepyfile(
        """
        import smtplib, ssl

        def test_starttls(mailtrap, own_certs):
            client_tls = ssl.create_default_context(cafile=str(own_certs.ca))
            with smtplib.SMTP("localhost", mailtrap.port) as smtp:
                smtp.starttls(context=client_tls)
                smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: own\\r\\n\\r\\nx")
            assert mailtrap.wait_for().envelope.tls
        """
    )
    # A subprocess: cryptography's native types do not survive pytester's in-process reload.
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_taken_port_names_the_ini_setting_and_its_variable(pytester: pytest.Pytester) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        pytester.makeini(f"[pytest]\nmailtrap_port = {port}\n")
        pytester.makepyfile("def test_send(mailtrap):\n    pass\n")
        result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*cannot listen for SMTP on 127.0.0.1:{port}: the port is in use*; stop it, or set "
            "mailtrap_port (MAILTRAP_PYTEST_PORT) to another port, or to 0 for a free one*"
        ]
    )
    assert "--smtp" not in result.stdout.str()


@pytest.mark.parametrize("auth", ["app:s3cret", "any"])
def test_auth_without_tls_is_a_start_up_error_naming_both_fixes(
    pytester: pytest.Pytester, auth: str
) -> None:
    """Without TLS the server may not offer AUTH (RFC 4954): a login list would refuse every
    message with 530, and `login()` would fail with "SMTP AUTH extension not supported"."""
    pytester.makeini(f"[pytest]\nmailtrap_auth = {auth}\n")
    pytester.makepyfile("def test_send(mailtrap):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*mailtrap_auth is set but mailtrap_tls is off*never offers AUTH on plain text*"
            "set mailtrap_tls = starttls*or mailtrap_auth_allow_insecure = true*"
            "MAILTRAP_PYTEST_AUTH_ALLOW_INSECURE=1*",
        ]
    )


@pytest.mark.parametrize("how", ["ini", "env"])
def test_auth_allow_insecure_logs_in_on_plain_text(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    ini = "[pytest]\nmailtrap_auth = app:s3cret\n"
    if how == "ini":
        ini += "mailtrap_auth_allow_insecure = true\n"
    else:
        monkeypatch.setenv("MAILTRAP_PYTEST_AUTH_ALLOW_INSECURE", "1")
    pytester.makeini(ini)
    pytester.makepyfile(
        """
        import smtplib, pytest

        def test_login(mailtrap):
            s = mailtrap.settings
            assert s.tls == "off" and (s.username, s.password) == ("app", "s3cret")
            assert "s3cret" not in repr(s)
            assert s.django["EMAIL_HOST_USER"] == "app"
            with smtplib.SMTP(s.host, s.port, timeout=10) as client:
                with pytest.raises(smtplib.SMTPSenderRefused):  # a login is still required
                    client.sendmail("a@example.com", ["b@example.com"], b"Subject: no\\r\\n\\r\\nx")
                client.login(s.username, s.password)
                client.sendmail("a@example.com", ["b@example.com"], b"Subject: yes\\r\\n\\r\\nx")
            assert mailtrap.wait_for().username == "app"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_bad_allow_insecure_value_is_named(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILTRAP_PYTEST_AUTH_ALLOW_INSECURE", "sure")
    pytester.makepyfile("def test_send(mailtrap):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*mailtrap_auth_allow_insecure / MAILTRAP_PYTEST_AUTH_ALLOW_INSECURE: 'sure' is not a*"]
    )


def test_the_loop_setting_picks_the_server_threads_event_loop(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmailtrap_loop = asyncio\n")
    pytester.makepyfile(
        """
        import asyncio, smtplib
        from mailtrap.loops import loop_name

        async def kind():
            return loop_name(asyncio.get_running_loop())

        def test_send(mailtrap, mailtrap_server):
            assert mailtrap_server._runner.call(kind(), 5) == "asyncio"
            with smtplib.SMTP(mailtrap_server.host, mailtrap_server.port) as client:
                client.sendmail("a@example.com", ["b@example.com"], b"Subject: hi\\r\\n\\r\\nx")
            assert mailtrap.wait_for().subject == "hi"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_bad_loop_value_is_named(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILTRAP_PYTEST_LOOP", "trio")
    pytester.makepyfile("def test_send(mailtrap):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*mailtrap_loop / MAILTRAP_PYTEST_LOOP: 'trio' is not an event loop; use one of*"]
    )
