"""GET/PUT /api/v1/chaos: Mailpit's trigger shape, and mailtrap's full rules."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import httpx
import pytest
from liveserver import LiveServer

from mailtrap import MemoryStore, SMTPServer
from mailtrap.client import Client
from mailtrap.remote import RemoteMailbox
from mailtrap.smtp.chaos import Rule
from mailtrap.web import create_app


@pytest.fixture
def running() -> Iterator[tuple[SMTPServer, httpx.Client]]:
    store = MemoryStore()
    with SMTPServer(store, port=0) as smtp:
        app = create_app(store, smtp_stats=smtp.handler.stats, chaos=smtp.chaos)
        with LiveServer(app) as web, httpx.Client(base_url=web.url) as http:
            yield smtp, http


def test_mailpit_triggers_round_trip(running: tuple[SMTPServer, httpx.Client]) -> None:
    smtp, http = running
    empty = http.get("/api/v1/chaos").json()
    assert empty["Triggers"]["Sender"] == {"ErrorCode": 451, "Probability": 0}
    body = {"Triggers": {"Recipient": {"ErrorCode": 452, "Probability": 100}}}
    answer = http.put("/api/v1/chaos", json=body).json()
    assert answer["Triggers"]["Recipient"] == {"ErrorCode": 452, "Probability": 100}
    with smtplib.SMTP(smtp.host, smtp.port) as client, pytest.raises(smtplib.SMTPRecipientsRefused):
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: x\r\n\r\nx")
    http.put("/api/v1/chaos", json={"Triggers": {}})
    assert smtp.chaos.rules() == []


def test_rules_with_times_and_match(running: tuple[SMTPServer, httpx.Client]) -> None:
    smtp, http = running
    rules = [
        {"Stage": "mail", "Code": 550, "Match": "*@blocked.example"},
        {"Stage": "data", "Code": 451, "Times": 1},
    ]
    listed = http.put("/api/v1/chaos", json={"Rules": rules}).json()["Rules"]
    assert [(r["Stage"], r["Code"], r["Times"], r["Match"]) for r in listed] == [
        ("mail", 550, None, "*@blocked.example"),
        ("data", 451, 1, None),
    ]
    with smtplib.SMTP(smtp.host, smtp.port) as client:
        with pytest.raises(smtplib.SMTPSenderRefused):
            client.sendmail("x@blocked.example", ["b@example.com"], b"Subject: x\r\n\r\nx")
        client.rset()
        with pytest.raises(smtplib.SMTPDataError):
            client.sendmail("ok@example.com", ["b@example.com"], b"Subject: x\r\n\r\nx")
        client.sendmail("ok@example.com", ["b@example.com"], b"Subject: x\r\n\r\nx")
    assert smtp.store.count() == 1
    assert [r["Stage"] for r in http.get("/api/v1/chaos").json()["Rules"]] == ["mail"]


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"Rules": [{"Stage": "helo", "Code": 451}]}, 400, "unknown stage 'helo'"),
        ({"Rules": [{"Stage": "rcpt", "Code": 200}]}, 422, "Code"),
    ],
)
def test_bad_rules_are_refused(
    running: tuple[SMTPServer, httpx.Client], body: dict[str, object], status: int, reason: str
) -> None:
    smtp, http = running
    response = http.put("/api/v1/chaos", json=body)
    assert response.status_code == status and reason in response.text
    assert smtp.chaos.rules() == []


def test_without_an_smtp_server_there_is_no_chaos() -> None:
    with LiveServer(create_app(MemoryStore())) as web:
        response = httpx.get(web.url + "/api/v1/chaos")
    assert response.status_code == 404 and "no SMTP server" in response.json()["detail"]


def test_remote_fail_next_sends_the_probability_and_checks_it_first(
    running: tuple[SMTPServer, httpx.Client],
) -> None:
    smtp, http = running
    mailbox = RemoteMailbox(Client(str(http.base_url)), host=smtp.host, port=smtp.port)
    mailbox.fail_next("rcpt", 451, times=3, probability=0.5)
    assert smtp.chaos.rules() == [Rule("rcpt", 451, times=3, probability=0.5)]
    with pytest.raises(ValueError, match="probability must be above 0 and at most 1"):
        mailbox.fail_next("rcpt", 451, probability=0)  # refused here, never sent
    assert len(smtp.chaos.rules()) == 1
    mailbox.close()
    assert smtp.chaos.rules() == []
