"""Deterministic fault injection: rules, and what real SMTP clients see."""

from __future__ import annotations

import smtplib

import pytest

from mailtrap import MemoryStore, SMTPServer
from mailtrap.auth import Authenticator
from mailtrap.chaos import Chaos, Rule, parse_rule

MAIL = b"Subject: chaos\r\n\r\nx"


def test_fail_next_fires_the_given_number_of_times() -> None:
    chaos = Chaos()
    chaos.fail_next("rcpt", 451, times=2)
    assert [chaos.check("rcpt", ["a@x"]) is not None for _ in range(3)] == [True, True, False]
    assert chaos.rules() == []


def test_match_and_always() -> None:
    chaos = Chaos([Rule("mail", 550, match="*@Blocked.example")])
    assert chaos.check("mail", ["ok@example.com"]) is None
    assert chaos.check("mail", ["X@blocked.EXAMPLE"]) == (
        "550 5.1.1 Mailbox unavailable (mailtrap fault injection)"
    )
    assert chaos.check("mail", ["y@blocked.example"]) is not None  # always: never used up


def test_probability_is_reproducible_with_a_seed() -> None:
    def run() -> list[bool]:
        chaos = Chaos([Rule("data", 451, probability=0.3)], seed=42)
        return [chaos.check("data") is not None for _ in range(200)]

    first = run()
    assert first == run()
    assert 30 < sum(first) < 90


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("rcpt:451", Rule("rcpt", 451)),
        ("mail:550:match=*@x.example,times=2", Rule("mail", 550, match="*@x.example", times=2)),
        (
            "data:452:probability=0.5,text=4.3.1 Disk full",
            Rule("data", 452, "4.3.1 Disk full", probability=0.5),
        ),
    ],
)
def test_parse_rule(text: str, rule: Rule) -> None:
    assert parse_rule(text) == rule


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("nope", "STAGE:CODE"),
        ("helo:451", "unknown stage 'helo'"),
        ("rcpt:250", "400 to 599"),
        ("rcpt:451:times=0", "times must be 1"),
        ("rcpt:451:color=red", "use times="),
    ],
)
def test_bad_rules_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_rule(text)


def test_first_attempt_451_second_succeeds() -> None:
    """What an app's retry logic needs: the first attempt fails, the retry goes through."""
    store = MemoryStore()
    with SMTPServer(store, port=0) as server:
        server.chaos.fail_next("rcpt", 451)
        with smtplib.SMTP(server.host, server.port) as client:
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                client.sendmail("a@example.com", ["b@example.com"], MAIL)
            assert refused.value.recipients["b@example.com"][0] == 451
            client.rset()
            client.sendmail("a@example.com", ["b@example.com"], MAIL)
    assert store.count() == 1


@pytest.mark.parametrize("stage", ["mail", "data", "connect"])
def test_each_stage_refuses_and_stores_nothing(stage: str) -> None:
    store = MemoryStore()
    with SMTPServer(store, port=0, chaos=Chaos([Rule(stage, 554)])) as server:  # type: ignore[arg-type]
        with pytest.raises(smtplib.SMTPException) as refused:
            with smtplib.SMTP(server.host, server.port) as client:
                client.sendmail("a@example.com", ["b@example.com"], MAIL)
        code = getattr(refused.value, "smtp_code", None) or getattr(refused.value, "args", [0])[0]
        assert code == 554 or "554" in str(refused.value)
    assert store.count() == 0


def test_auth_stage() -> None:
    store = MemoryStore()
    server = SMTPServer(
        store,
        port=0,
        auth=Authenticator(),
        auth_allow_insecure=True,
        chaos=Chaos([Rule("auth", 535, times=1)]),
    )
    with server, smtplib.SMTP(server.host, server.port) as client:
        client.ehlo()
        client.user, client.password = "a", "b"
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.auth("PLAIN", client.auth_plain)
        assert refused.value.smtp_code == 535
        assert client.auth("PLAIN", client.auth_plain)[0] == 235  # the rule is used up
