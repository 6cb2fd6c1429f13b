"""Mailpit's tag rules: `--tag` parsing, tag cleaning, plus-address tags, and `mailtrap serve
--tag` end to end (SMTP in, tags out of the API)."""

from __future__ import annotations

import smtplib

import pytest
from mailfactory import build_mail
from serving import start

from mailtrap import Envelope
from mailtrap.cli import build_parser, resolve_settings
from mailtrap.config import Settings
from mailtrap.message.parsing import clean_tag, normalize_tags, summarize
from mailtrap.storage.tagrules import MAX_RULES, parse_tag_rules


@pytest.mark.parametrize(
    ("tag", "clean"),
    [
        ("signup", "signup"),
        ("  Two   words ", "Two words"),
        ("a/b\\c!d", "a b c d"),
        ("café", "caf"),
        ("user@example.com", "user@example.com"),
        ("x-y_z.1", "x-y_z.1"),
        ("✓✓", ""),
        ("x" * 150, "x" * 100),
    ],
)
def test_tags_are_cleaned_as_mailpit_cleans_them(tag: str, clean: str) -> None:
    assert clean_tag(tag) == clean


def test_normalize_tags_cleans_before_it_compares() -> None:
    assert normalize_tags(["a!b", "A B", "", "!!", "c"]) == ("a b", "c")


def test_plus_address_tags_come_from_recipients_and_the_sender_split_at_each_plus() -> None:
    raw = b"From: App <app+outbound@example.com>\r\nTo: dev+one+Two@example.com\r\n\r\nx"
    digest = summarize(raw, Envelope("", ("ops+alerts@example.com",)))
    assert digest.tags == ("alerts", "one", "outbound", "Two")


def test_rules_take_mailpits_form() -> None:
    rules = parse_tag_rules(
        'Invoices=subject:invoice "Shop,Orders=from:shop@example.com is:unread" Eq=subject:a=b'
    )
    assert [(r.tags, r.match) for r in rules] == [
        (("Invoices",), "subject:invoice"),
        (("Orders", "Shop"), "from:shop@example.com is:unread"),
        (("Eq",), "subject:a=b"),  # split at the first "="
    ]
    assert [t.field for t in rules[1].query.terms] == ["from", "is"]
    # Quotes group a rule and are then dropped, as in Mailpit: no phrase survives.
    assert parse_tag_rules('X="subject:big order"')[0].match == "subject:big order"
    assert [t.field for t in parse_tag_rules('X="subject:big order"')[0].query.terms] == [
        "subject",
        None,
    ]
    assert parse_tag_rules("  ") == ()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Invoices", "is not TAGS=QUERY"),
        ("Invoices=", "is not TAGS=QUERY"),
        ("=subject:x", "names no tag"),
        (",,=subject:x", "names no tag"),
        ("ok,✓=subject:x", "'✓' is no tag name"),
        ("X=is:nosuch", "unknown search flag is:'nosuch'"),
        (" ".join(f"t{i}=x" for i in range(MAX_RULES + 1)), f"at most {MAX_RULES}"),
    ],
)
def test_a_rule_that_cannot_work_is_refused_naming_it(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_tag_rules(value)


def test_the_flag_repeats_and_the_variable_takes_the_same_form() -> None:
    args = build_parser().parse_args(["--tag", "A=subject:a", "--tag", 'B=x "C=y z"'])
    settings = resolve_settings(args, {})
    assert [r.tags for r in settings.tag] == [("A",), ("B",), ("C",)]
    env = Settings.from_env({"MAILTRAP_TAG": "A=subject:a B=x"})
    assert [r.match for r in env.tag] == ["subject:a", "x"]
    with pytest.raises(ValueError, match="--tag: tag rule 'nope' is not TAGS=QUERY"):
        resolve_settings(build_parser().parse_args(["--tag", "nope"]), {})
    with pytest.raises(ValueError, match="MAILTRAP_TAG: tag rule"):
        Settings.from_env({"MAILTRAP_TAG": "nope"})


def test_mailtrap_serve_tags_arriving_mail_by_its_rules() -> None:
    running = start("--memory", "--tag", 'Welcome=subject:welcome "Team Mail=to:team@example.com"')
    try:
        with smtplib.SMTP(*running.smtp, timeout=10) as smtp:
            for subject, to in (("Welcome aboard", "a@example.com"), ("Hi", "team@example.com")):
                smtp.sendmail("app@example.com", [to], build_mail(subject=subject, to=to))
            smtp.sendmail("app@example.com", ["c@example.com"], build_mail(to="c@example.com"))
        listed = running.get("/api/v1/messages")["messages"]
    finally:
        running.stop()
    assert [(m["Subject"], m["Tags"]) for m in listed] == [
        ("Hello", []),
        ("Hi", ["Team Mail"]),
        ("Welcome aboard", ["Welcome"]),
    ]
