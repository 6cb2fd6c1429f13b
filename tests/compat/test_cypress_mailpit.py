"""cypress-mailpit 2.0.0 (npm): every command's requests, against `mailtrap serve`.

Cypress itself cannot run here, so tests/compat/node/cypress.cjs runs the package's own command
code with stand-ins for `Cypress` and `cy`, whose cy.request is Node's fetch with cy.request's
defaults. What each command would hand the test (a body, a list of addresses) is checked as a
Cypress test would use it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from clients import Steps, run_node, serve
from spamd import GTUBE, running_spamd
from tools import npm_package

DEFAULT_SEND = {  # what mailpitSendMail() sends when given nothing
    "From": {"Name": "From", "Address": "from@example.com"},
    "To": [{"Name": "Jane", "Address": "jane@example.com"}],
    "Cc": [{"Name": "CC", "Address": "cc@example.com"}],
    "Bcc": [{"Name": "", "Address": "bcc@example.com"}],
    "ReplyTo": [{"Name": "ReplyTo", "Address": "replyto@example.com"}],
}


@pytest.fixture(scope="module")
def steps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Steps]:
    package = npm_package("cypress-mailpit")
    server = serve(tmp_path_factory.mktemp("store"))
    try:
        yield run_node("cypress.cjs", str(package), server.url, log=server.log)
    finally:
        server.stop()


def test_every_command_is_exercised(steps: Steps) -> None:
    called = {
        "mailpitDeleteAllEmails", "mailpitDeleteEmailsBySearch", "mailpitGetAllMails",
        "mailpitGetEmailsBySubject", "mailpitGetMail", "mailpitSearchEmails", "mailpitSendMail",
        "mailpitHasEmailsBySubject", "mailpitGetEmailsByTo", "mailpitHasEmailsByTo",
        "mailpitNotHasEmailsBySubject", "mailpitNotHasEmailsByTo",
        "mailpitSetAllEmailStatusAsRead", "mailpitSetAllEmailStatusAsUnRead",
        "mailpitHasEmailsBySearch", "mailpitNotHasEmailsBySearch", "mailpitGetFromAddress",
        "mailpitGetMailHTMlBody", "mailpitGetMailTextBody", "mailpitGetRecipientAddress",
        "mailpitGetSubject", "mailpitGetAttachments", "mailpitGetMailSpamAssassinSummary",
        "mailpitGetMailSpamAssainSummary", "mailpitSetStatusAsRead", "mailpitSetStatusAsUnRead",
    }  # fmt: skip
    # A new release's command fails here until cypress.cjs calls it.
    assert set(steps.ok("commands")) == called


def test_send_with_the_defaults_and_with_everything(steps: Steps) -> None:
    assert steps.ok("deleteAllFirst") == {"status": 200, "body": "ok"}
    assert set(steps.ok("sendDefaults")) == {"ID"}
    assert set(steps.ok("sendReset")) == {"ID"}
    assert steps.ok("getAllMails") == {
        "total": 2,
        "subjects": ["Reset your password", "Hello Mailpit"],
    }


def test_get_mail_latest_and_by_id(steps: Steps) -> None:
    assert steps.ok("getLatest") == steps.ok("sendReset")["ID"]
    welcome = steps.ok("getWelcome")
    assert {key: welcome[key] for key in DEFAULT_SEND} == DEFAULT_SEND
    assert welcome["Text"].strip() == "hello from mailpit"


def test_child_commands_read_the_message(steps: Steps) -> None:
    assert steps.ok("childGetters") == {
        "subject": "Reset your password",
        "recipients": ["ann@example.com"],
        "from": "app@example.com",
        "attachments": ["report.txt"],
    }


def test_html_and_text_bodies(steps: Steps) -> None:
    # The command asks for MAILPIT_URL + "//view/{ID}.html" (a doubled slash); Mailpit's router
    # redirects that to /view/{ID}.html and cy.request follows.
    assert 'href="https://app.example/reset/abc"' in steps.ok("htmlBody")
    assert steps.ok("textBody").strip() == "Your code is 482913"


@pytest.mark.parametrize("step", ["spamAssassin", "spamAssassinOldName"])
def test_spamassassin_summary_without_a_spamd_is_a_400_naming_the_flag(
    steps: Steps, step: str
) -> None:
    error = steps.error(step)
    assert ": 400: " in error, error
    assert "--smtp-spamassassin HOST:PORT" in error.split(": 400: ", 1)[1], error


@pytest.fixture(scope="module")
def spam_steps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Steps]:
    """The SpamAssassin commands against `mailtrap serve --smtp-spamassassin` and a spamd."""
    package = npm_package("cypress-mailpit")
    chosen = "sendReset,spamAssassin,spamAssassinOldName,sendGtube,spamAssassinGtube,requests"
    with running_spamd() as spamd:
        server = serve(tmp_path_factory.mktemp("store"), "--smtp-spamassassin", spamd.flag)
        try:
            yield run_node("cypress.cjs", str(package), server.url, chosen, GTUBE, log=server.log)
        finally:
            server.stop()


def test_spamassassin_summary_with_a_spamd(spam_steps: Steps) -> None:
    reset_id = spam_steps.ok("sendReset")["ID"]
    for step in ("spamAssassin", "spamAssassinOldName"):  # the old name calls the new one
        summary = spam_steps.ok(step)
        assert set(summary) == {"IsSpam", "Score", "Rules", "Error"}
        assert (summary["IsSpam"], summary["Error"]) == (False, ""), summary
        assert summary["Score"] < 5
    spam = spam_steps.ok("spamAssassinGtube")
    assert (spam["IsSpam"], spam["Error"]) == (True, ""), spam
    assert "GTUBE" in {rule["Name"] for rule in spam["Rules"]}
    seen = [(r["method"], r["url"].split("/", 3)[3]) for r in spam_steps.ok("requests")]
    assert seen.count(("GET", f"api/v1/message/{reset_id}/sa-check")) == 2


def test_searches(steps: Steps) -> None:
    assert steps.ok("search") == 1
    assert steps.ok("bySubject") == 1  # subject:Hello Mailpit, unquoted, as the command sends it
    assert steps.ok("byTo") == 1


def test_waiting_commands(steps: Steps) -> None:
    assert steps.ok("hasBySubject") == 1
    assert steps.ok("hasByTo") == 1
    assert steps.ok("hasBySearch") == 1
    assert steps.ok("notHasBySubject") == 0
    assert steps.ok("notHasByTo") == 0
    assert steps.ok("notHasBySearch") == 0
    assert "Timed out after 300ms" in steps.error("hasTimesOut")


def test_read_status(steps: Steps) -> None:
    assert steps.ok("setAllRead") == "ok"
    assert steps.ok("unreadAfterAllRead") == 0
    assert steps.ok("setAllUnread") == "ok"
    assert steps.ok("unreadAfterAllUnread") == 2
    assert steps.ok("setOneRead") == "ok"
    assert steps.ok("unreadAfterOneRead") == 1
    assert steps.ok("setListUnread") == "ok"
    assert steps.ok("unreadAfterListUnread") == 2


def test_deleting(steps: Steps) -> None:
    assert steps.ok("deleteBySearch") == {"status": 200, "body": "ok"}
    assert steps.ok("afterDeleteBySearch") == ["Hello Mailpit"]
    assert steps.ok("deleteAll") == {"status": 200, "body": "ok"}
    assert steps.ok("afterDeleteAll") == 0


def test_the_requests_are_the_packages_own(steps: Steps) -> None:
    """The replay sent what the commands build: spot-check the forms that are easy to get wrong."""
    # The part after "http://host:port/": the view URLs keep their second slash.
    seen = {(r["method"], r["url"].split("/", 3)[3]) for r in steps.ok("requests")}
    reset_id = steps.ok("sendReset")["ID"]
    assert ("GET", f"/view/{reset_id}.html") in seen
    assert ("GET", "api/v1/search?query=subject%3AHello%20Mailpit&start=0&limit=50") in seen
    assert ("PUT", "api/v1/messages") in seen
    assert ("DELETE", "api/v1/messages") in seen
    sent = [r["body"] for r in steps.ok("requests") if r["method"] == "POST"]
    assert sent[0]["Bcc"] == ["bcc@example.com"]
    assert sent[0]["Headers"] == {}
