"""POST /api/v1/message/{ID}/release and /api/v1/webui's MessageRelay, over HTTP to a real
server, releasing to a second mailtrap server that requires STARTTLS and AUTH."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from liveserver import LiveServer
from relaytarget import arrived, relay_to, target_server, without_trace

from mailtrap import MemoryStore, SMTPServer
from mailtrap.message.models import Envelope
from mailtrap.options import WebOptions
from mailtrap.relay import RelayConfig
from mailtrap.smtp.tls import Certificates, self_signed
from mailtrap.web import create_app

MAIL = (
    b"From: Ann <ann@example.com>\r\nTo: bob@example.com\r\nBcc: eve@example.com\r\n"
    b"Subject: Release me\r\nMessage-ID: <kept@example.com>\r\n\r\nHello,\r\n.\r\nBob\r\n"
)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return self_signed(tmp_path_factory.mktemp("release-tls"))


@pytest.fixture
def target(certs: Certificates) -> Iterator[SMTPServer]:
    with target_server(certs) as server:
        yield server


def serve(relay: RelayConfig | None) -> tuple[MemoryStore, LiveServer]:
    store = MemoryStore()
    return store, LiveServer(create_app(store, WebOptions(relay=relay)))


def test_release_sends_the_message_and_says_what_the_relay_said(
    target: SMTPServer, certs: Certificates
) -> None:
    relay = relay_to(target, certs, preserve_message_ids=True, return_path="b@example.org")
    store, server = serve(relay)
    summary = store.add(MAIL, Envelope("app@example.com", ("bob@example.com",)))
    with server, httpx.Client(base_url=server.url, timeout=30) as http:
        answer = http.post(
            f"/api/v1/message/{summary.id}/release", json={"To": ["Carol <carol@example.net>"]}
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/plain")
        assert re.fullmatch(r"ok: 250 .+", answer.text), answer.text
        (got,) = arrived(target)
        assert got.envelope.rcpt_tos == ("carol@example.net",)
        assert got.envelope.mail_from == "b@example.org"
        expected = b"Return-Path: <b@example.org>\r\n" + MAIL.replace(
            b"Bcc: eve@example.com\r\n", b""
        )
        assert without_trace(got.raw) == expected
        # `latest`, as Mailpit takes it, and the case-insensitive key Go's decoder allows.
        again = http.post("/api/v1/message/latest/release", json={"to": ["dan@example.net"]})
        assert again.status_code == 200, again.text
        assert next(m.envelope.rcpt_tos for m in arrived(target)) == ("dan@example.net",)
        assert store.get(summary.id).read is False  # releasing does not read it


def test_release_refusals_are_4xx_with_the_reason(target: SMTPServer, certs: Certificates) -> None:
    relay = relay_to(
        target, certs, allowed_recipients=r"@example\.net$", blocked_recipients="^ceo@"
    )
    store, server = serve(relay)
    id = store.add(MAIL, Envelope("app@example.com", ("bob@example.com",))).id
    cases = [
        ({"To": ["x@elsewhere.org"]}, 400, "x@elsewhere.org does not match the allowed recipients"),
        ({"To": ["ceo@example.net"]}, 400, "ceo@example.net is blocked"),
        ({"To": ["not an address"]}, 400, "'not an address' is not an email address"),
        ({"To": []}, 400, "no recipients"),
        ({"To": ["a@example.net"], "Cc": ["b@example.net"]}, 400, "Cc"),
        ({"To": "a@example.net"}, 400, "To"),
    ]
    with server, httpx.Client(base_url=server.url, timeout=30) as http:
        for body, status, reason in cases:
            answer = http.post(f"/api/v1/message/{id}/release", json=body)
            assert answer.status_code == status, (body, answer.text)
            assert reason in answer.json()["detail"], (body, answer.text)
        missing = http.post("/api/v1/message/nope/release", json={"To": ["a@example.net"]})
        assert missing.status_code == 404
        assert target.chaos is not None
        target.chaos.fail_next("rcpt", code=550, text="5.1.1 mailbox unavailable")
        refused = http.post(f"/api/v1/message/{id}/release", json={"To": ["a@example.net"]})
        assert refused.status_code == 502
        detail = refused.json()["detail"]
        assert f"the relay localhost:{target.port} refused the message" in detail
        assert "550 5.1.1 mailbox unavailable" in detail
    assert arrived(target) == []


def test_a_dead_or_hung_relay_answers_502_within_its_timeout() -> None:
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        port = hung.getsockname()[1]
        store, server = serve(RelayConfig(host="127.0.0.1", port=port, timeout=1.0))
        id = store.add(MAIL, Envelope("app@example.com", ("bob@example.com",))).id
        with server, httpx.Client(base_url=server.url, timeout=30) as http:
            began = time.monotonic()
            answer = http.post(f"/api/v1/message/{id}/release", json={"To": ["a@example.net"]})
            assert answer.status_code == 502
            assert "did not answer within 1s" in answer.json()["detail"]
            assert time.monotonic() - began < 5
            # The app kept serving meanwhile: the relay waited on a worker thread.
            assert http.get("/api/v1/messages").status_code == 200
    store, server = serve(RelayConfig(host="127.0.0.1", port=port, timeout=1.0))  # now closed
    id = store.add(MAIL, Envelope("app@example.com", ("bob@example.com",))).id
    with server, httpx.Client(base_url=server.url, timeout=30) as http:
        answer = http.post(f"/api/v1/message/{id}/release", json={"To": ["a@example.net"]})
        assert answer.status_code == 502
        assert f"cannot reach the relay 127.0.0.1:{port}" in answer.json()["detail"]


def test_without_a_relay_release_says_how_to_configure_one() -> None:
    store, server = serve(None)
    id = store.add(MAIL, Envelope("app@example.com", ("bob@example.com",))).id
    with server, httpx.Client(base_url=server.url) as http:
        answer = http.post(f"/api/v1/message/{id}/release", json={"To": ["a@example.net"]})
        assert answer.status_code == 400
        assert "--smtp-relay-host" in answer.json()["detail"]
        assert http.get("/api/v1/webui").json()["MessageRelay"]["Enabled"] is False


def test_webui_reports_the_relay(certs: Certificates) -> None:
    relay = RelayConfig(
        host="smtp.example.com",
        port=587,
        starttls=True,
        auth="login",
        username="me",
        password="hunter2-secret",
        return_path="b@example.org",
        override_from="f@example.org",
        allowed_recipients="@example\\.net$",
        blocked_recipients="^ceo@",
        preserve_message_ids=True,
    )
    _, server = serve(relay)
    with server, httpx.Client(base_url=server.url) as http:
        answer = http.get("/api/v1/webui")
        assert answer.json()["MessageRelay"] == {
            "Enabled": True,
            "SMTPServer": "smtp.example.com:587",
            "ReturnPath": "b@example.org",
            "AllowedRecipients": "@example\\.net$",
            "BlockedRecipients": "^ceo@",
            "OverrideFrom": "f@example.org",
            "PreserveMessageIDs": True,
        }
        assert "hunter2" not in answer.text
    _, plain = serve(replace(relay, host="::1", preserve_message_ids=False))
    with plain, httpx.Client(base_url=plain.url) as http:
        relayed = http.get("/api/v1/webui").json()["MessageRelay"]
        assert (relayed["SMTPServer"], relayed["PreserveMessageIDs"]) == ("[::1]:587", False)


def test_another_site_cannot_release(target: SMTPServer, certs: Certificates) -> None:
    """A page on another site (CSRF, or a no-cors probe) must not make mailtrap send mail."""
    store, server = serve(relay_to(target, certs))
    id = store.add(MAIL, Envelope("app@example.com", ("bob@example.com",))).id
    with server, httpx.Client(base_url=server.url, timeout=30) as http:
        for headers in (
            {"Origin": "https://evil.example"},
            {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"},
        ):
            answer = http.post(
                f"/api/v1/message/{id}/release", json={"To": ["a@example.net"]}, headers=headers
            )
            assert answer.status_code == 403, answer.text
        assert arrived(target) == []
        own = http.post(
            f"/api/v1/message/{id}/release",
            json={"To": ["a@example.net"]},
            headers={"Origin": server.url, "Sec-Fetch-Site": "same-origin"},
        )
        assert own.status_code == 200, own.text
        assert len(arrived(target)) == 1


def test_releases_stuck_on_a_hung_relay_leave_the_api_answering() -> None:
    """44 releases wait on a relay that never answers: more than the 40 worker threads the
    other routes share, so without a bound of their own they would hold up every read for
    the relay's timeout (5 s)."""
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(100)
    store, server = serve(RelayConfig(host="127.0.0.1", port=hung.getsockname()[1], timeout=5))
    id = store.add(MAIL, Envelope("app@example.com", ("bob@example.com",))).id
    statuses: list[int] = []

    def release() -> None:
        with httpx.Client(base_url=server.url, timeout=120) as own:
            answer = own.post(f"/api/v1/message/{id}/release", json={"To": ["a@b.net"]})
            statuses.append(answer.status_code)

    with server, httpx.Client(base_url=server.url, timeout=60) as http:
        threads = [threading.Thread(target=release) for _ in range(44)]
        try:
            for thread in threads:
                thread.start()
            time.sleep(1.0)  # the releases are in: the first ones wait on the relay
            began = time.monotonic()
            assert http.get("/api/v1/messages").status_code == 200
            assert http.get(f"/api/v1/message/{id}").status_code == 200
            assert time.monotonic() - began < 3  # held behind the relay, they took 30 s
        finally:
            hung.close()  # resets the waiting connections: the rest fail at once
            for thread in threads:
                thread.join(60)
    assert statuses == [502] * 44
