"""Deterministic fault injection: rules, and what real SMTP clients see."""

from __future__ import annotations

import smtplib

import pytest

from mailtrap import MemoryStore, SMTPServer
from mailtrap.mailbox import Mailbox
from mailtrap.smtp.auth import Authenticator
from mailtrap.smtp.chaos import Chaos, Rule, parse_rule

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


def test_fail_next_with_a_probability_is_reproducible_with_a_seed() -> None:
    def run() -> list[bool]:
        chaos = Chaos(seed=7)
        chaos.fail_next("rcpt", 451, times=5, probability=0.5)
        return [chaos.check("rcpt", ["a@x"]) is not None for _ in range(40)]

    first = run()
    assert first == run()
    assert sum(first) == 5  # `times` refusals, spread out by the probability
    assert first[:5] != [True] * 5


@pytest.mark.parametrize("probability", [0, -0.5, 1.5, float("nan")])
def test_fail_next_probability_must_be_above_0_and_at_most_1(probability: float) -> None:
    chaos = Chaos()
    with pytest.raises(
        ValueError, match=r"probability must be above 0 and at most 1 .* e\.g\. 0\.5"
    ):
        chaos.fail_next("rcpt", probability=probability)
    assert chaos.rules() == []


def test_a_seeded_server_refuses_a_reproducible_subset() -> None:
    """Soak testing: the mailbox's fail_next with probability 0.5 on a seeded server refuses
    the same transactions on every run, and stores exactly the others."""

    def run() -> list[bool]:
        store = MemoryStore()
        with SMTPServer(store, port=0, chaos=Chaos(seed=1234)) as server:
            mailbox = Mailbox(store, host=server.host, port=server.port, chaos=server.chaos)
            mailbox.fail_next("rcpt", 451, times=100, probability=0.5)
            accepted = []
            with smtplib.SMTP(server.host, server.port) as client:
                for _ in range(30):
                    try:
                        client.sendmail("a@example.com", ["b@example.com"], MAIL)
                        accepted.append(True)
                    except smtplib.SMTPRecipientsRefused:
                        accepted.append(False)
                        client.rset()
            mailbox.close()
            assert server.chaos.rules() == []  # the mailbox's rule does not outlive it
        assert store.count() == sum(accepted)
        return accepted

    first = run()
    assert first == run()
    assert 5 < first.count(False) < 25


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


def test_a_recipients_glob_keeps_a_rule_to_that_mail() -> None:
    """How a test on a shared server refuses only its own mail: at RCPT the recipient being
    added must match, at DATA any recipient; `match` still reads what it always read."""
    chaos = Chaos([Rule("rcpt", 550, times=2, recipients="*.t0k3n@mailtrap.test")])
    assert chaos.check("rcpt", ["other@example.com"], ["other@example.com"]) is None
    mine = "user.t0k3n@mailtrap.test"
    assert chaos.check("rcpt", [mine], [mine]) is not None
    chaos.set_rules([Rule("data", 451, match="app@*", recipients="*.t0k3n@mailtrap.test")])
    assert chaos.check("data", ["app@x", "a@x"], ["a@x"]) is None  # no recipient of ours
    assert chaos.check("data", ["bad@x", mine], [mine]) is None  # `match` still applies
    assert chaos.check("data", ["app@x", "a@x", mine], ["a@x", mine]) is not None
    assert parse_rule("rcpt:550:recipients=*.t@mailtrap.test").recipients == "*.t@mailtrap.test"


@pytest.mark.parametrize("stage", ["connect", "auth", "mail"])
def test_a_recipients_glob_where_no_recipient_is_known_is_refused(stage: str) -> None:
    with pytest.raises(ValueError, match=rf"recipients= needs .*\(rcpt or data\), not '{stage}'"):
        Rule(stage, 451, recipients="*@x")  # type: ignore[arg-type]


def test_remove_takes_away_the_same_rules_whatever_their_count_left() -> None:
    mine = Rule("rcpt", 451, times=3, recipients="*.a@mailtrap.test")
    theirs = Rule("rcpt", 451, times=3, recipients="*.b@mailtrap.test")
    chaos = Chaos([mine, theirs])
    assert chaos.check("rcpt", ["u.a@mailtrap.test"], ["u.a@mailtrap.test"]) is not None
    chaos.remove([mine])  # stored with times=2 by now
    assert chaos.rules() == [theirs]


def test_only_the_scoped_recipient_is_refused_by_a_real_server() -> None:
    store = MemoryStore()
    with SMTPServer(store, port=0) as server:
        server.chaos.add(Rule("rcpt", 550, recipients="*.mine@mailtrap.test"))
        with smtplib.SMTP(server.host, server.port) as client:
            refused = client.sendmail(
                "app@example.com", ["a.mine@mailtrap.test", "someone@example.com"], MAIL
            )
    assert refused == {
        "a.mine@mailtrap.test": (550, b"5.1.1 Mailbox unavailable (mailtrap fault injection)")
    }
    assert store.get(store.list().messages[0].id).envelope.rcpt_tos == ("someone@example.com",)
