"""Which test a failure inside the SMTP server fails: the one whose client sent what failed,
never the next one, and a client's own refusal of the certificate is no failure at all."""

from __future__ import annotations

import pytest


def test_a_client_refusing_the_certificate_fails_neither_its_test_nor_the_next(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nmailtrap_tls = starttls\n")
    pytester.makepyfile(
        """
        import smtplib, ssl, pytest

        def test_an_unconfigured_client_refuses_the_certificate(mailtrap):
            with smtplib.SMTP("localhost", mailtrap.port, timeout=10) as client:
                with pytest.raises(ssl.SSLCertVerificationError):
                    client.starttls(context=ssl.create_default_context())

        def test_the_next_test_sends_over_tls(mailtrap):
            with smtplib.SMTP("localhost", mailtrap.port, timeout=10) as client:
                client.starttls(context=mailtrap.settings.ssl_context())
                client.sendmail("a@example.com", ["b@example.com"], b"Subject: ok\\r\\n\\r\\nx")
            assert mailtrap.wait_for().envelope.tls
        """
    )
    # A subprocess: cryptography's native types do not survive pytester's in-process reload.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


SLOW_FULL_DISK = """
import threading
from concurrent.futures import Future
import pytest
from mailtrap import MemoryStore


class SlowFullDisk(MemoryStore):
    def submit(self, raw, envelope):
        if b"Subject: boom" not in raw:
            return super().submit(raw, envelope)
        future = Future()
        error = OSError(28, "No space left on device")
        threading.Timer(0.3, future.set_exception, args=(error,)).start()
        return future


@pytest.fixture(scope="session")
def mailtrap_server_options(mailtrap_server_options):
    return {**mailtrap_server_options, "store": SlowFullDisk()}
"""


def test_a_server_failure_is_charged_to_the_test_whose_client_caused_it(
    pytester: pytest.Pytester,
) -> None:
    """The first test's client sends a message and leaves without reading the reply; the
    store fails a moment later, after the test's own code is done."""
    pytester.makeconftest(SLOW_FULL_DISK)
    pytester.makepyfile(
        """
        import smtplib, socket, pytest

        KEPT = []

        @pytest.fixture(scope="module", autouse=True)
        def close_what_was_kept():
            yield
            for client in KEPT:
                client.close()

        def test_sends_and_leaves(mailtrap):
            client = socket.create_connection((mailtrap.host, mailtrap.port), timeout=10)
            KEPT.append(client)  # open, but nobody reads the reply
            client.recv(1024)
            client.sendall(b"HELO x\\r\\nMAIL FROM:<a@x>\\r\\nRCPT TO:<b@x>\\r\\nDATA\\r\\n")
            client.sendall(b"Subject: boom\\r\\n\\r\\nx\\r\\n.\\r\\n")

        def test_innocent(mailtrap):
            with smtplib.SMTP(mailtrap.host, mailtrap.port, timeout=10) as client:
                client.sendmail("a@x", ["b@x"], b"Subject: fine\\r\\n\\r\\nx")
            assert mailtrap.wait_for().subject == "fine"
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_sends_and_leaves*",
            "*the mailtrap SMTP server failed during this test: OSError(28, 'No space left*",
        ]
    )
    assert "ERROR at teardown of test_innocent" not in result.stdout.str()
