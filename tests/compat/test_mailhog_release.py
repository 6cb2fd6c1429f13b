"""MailHog's release, `POST /api/v1/messages/{ID}/release`, driven by npm `mailhog`'s own
`releaseMessage`, through mailtrap's configured relay (a second mailtrap SMTP server that
requires STARTTLS and AUTH), and over plain HTTP for what the client cannot show."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from clients import run_node
from liveserver import LiveServer
from relaytarget import arrived, relay_to, target_server, without_trace
from tools import npm_package

from mailtrap import MemoryStore, SMTPServer
from mailtrap.message.models import Envelope
from mailtrap.options import WebOptions
from mailtrap.relay import RelayConfig
from mailtrap.smtp.tls import Certificates, self_signed
from mailtrap.web import create_app

MAIL = b"From: app@example.com\r\nTo: bob@example.com\r\nSubject: Hog\r\n\r\nReleased.\r\n"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return self_signed(tmp_path_factory.mktemp("mailhog-release-tls"))


@pytest.fixture
def target(certs: Certificates) -> Iterator[SMTPServer]:
    with target_server(certs) as server:
        yield server


def served(relay: RelayConfig | None) -> tuple[str, LiveServer]:
    store = MemoryStore()
    id = store.add(MAIL, Envelope("app@example.com", ("bob@example.com",))).id
    return id, LiveServer(create_app(store, WebOptions(relay=relay)))


def test_the_client_releases_through_the_relay_and_nowhere_else(
    target: SMTPServer, certs: Certificates
) -> None:
    relay = relay_to(target, certs, preserve_message_ids=True)
    id, server = served(relay)
    with server:
        steps = run_node(
            "mailhog-release.cjs",
            str(npm_package("mailhog")),
            server.url,
            id,
            relay.host,
            str(relay.port),
        )
    assert steps.ok("toTheRelay") == {"statusCode": 200}  # MailHog's empty 200
    (got,) = arrived(target)
    assert got.envelope.rcpt_tos == ("carol@example.net",)
    assert without_trace(got.raw) == MAIL
    other = steps.ok("toAnotherServer")["detail"]
    assert "Host 'smtp.example.org' is not the relay's host 'localhost'" in other
    login = steps.ok("withALogin")["detail"]
    assert "leave Username, Password and Mechanism out" in login
    assert "guess" not in login
    assert len(arrived(target)) == 1  # the refused ones sent nothing


def test_without_a_relay_the_answer_says_which_flags_would_release_there() -> None:
    id, server = served(None)
    with server, httpx.Client(base_url=server.url, timeout=10) as http:
        body = {"Host": "mail.example.org", "Port": "2525", "Email": "x@example.net"}
        answer = http.post(f"/api/v1/messages/{id}/release", json=body)
        assert answer.status_code == 400
        detail = answer.json()["detail"]
        assert "--smtp-relay-host mail.example.org --smtp-relay-port 2525" in detail


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"Host": "localhost"}, "names no recipient: give Email"),
        ({"Email": "x@example.net", "Name": "saved"}, "saved outgoing servers"),
        ({"Email": "x@example.net", "Port": "1"}, "Port '1' is not the relay's port"),
        ({"Email": "x@example.net", "Hots": "localhost"}, "Hots"),  # a typo is never ignored
    ],
)
def test_what_the_relay_cannot_do_is_a_400_naming_it(
    target: SMTPServer, certs: Certificates, body: dict[str, str], reason: str
) -> None:
    id, server = served(relay_to(target, certs))
    with server, httpx.Client(base_url=server.url, timeout=10) as http:
        answer = http.post(f"/api/v1/messages/{id}/release", json=body)
        assert answer.status_code == 400, answer.text
        assert reason in answer.text
    assert arrived(target) == []
