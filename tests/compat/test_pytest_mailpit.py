"""pytest-mailpit (PyPI), Mailpit's pytest plugin: a small suite of ordinary tests using its
`mailpit`, `mailpit_inbox`, `mailpit_smtp` and `mailpit_chaos` fixtures and `wait_for_message`,
run by pytester against `mailtrap serve`, must pass whole.

The inner run is a subprocess: the plugin loads there (it is kept out of this suite with
`-p no:mailpit`), pointed at mailtrap by `--mailpit-url` and `MAILPIT_SMTP`, as a user would
point it at Mailpit. Its warnings (messages it could not delete, triggers it could not
restore) are errors there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clients import Served, serve
from linkserver import LinkSite
from tools import python_package

HELPERS = r"""
import smtplib
from email.message import EmailMessage

import pytest
import requests
from pytest_mailpit import MailpitAPIError, MailpitAssertionError


def send(smtp, to, subject, text="hello", html=None, attachment=None):
    msg = EmailMessage()
    msg["From"] = "App <app@example.com>"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if attachment is not None:
        name, data = attachment
        msg.add_attachment(data.encode(), maintype="text", subtype="plain", filename=name)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client:
        client.send_message(msg)
"""

FIXTURES = r"""
def test_mailpit_reaches_the_server(mailpit):
    assert mailpit.is_ready()
    assert mailpit.info().version
    assert mailpit.server_time().tzinfo is not None
    assert mailpit.messages(limit=1).start == 0


def test_inbox_waits_for_mail_sent_over_smtp(mailpit_inbox, mailpit_smtp):
    send(
        mailpit_smtp,
        mailpit_inbox.address,
        "Reset your password",
        text="Your code is 482913\nhttps://app.example/reset/abc",
        html='<p>Your code is 482913. <a href="https://app.example/reset/abc">Reset</a></p>',
    )
    message = mailpit_inbox.wait_for_message(subject="Reset")
    assert message.subject == "Reset your password"
    assert message.sender.address == "app@example.com"
    assert [to.address for to in message.to] == [mailpit_inbox.address]
    assert message.code() == "482913"
    assert message.link("/reset/") == "https://app.example/reset/abc"


def test_wait_for_message_by_recipient(mailpit, mailpit_inbox, mailpit_smtp):
    # Mailpit's search matches substrings: the client keeps only the exact address.
    send(mailpit_smtp, "x" + mailpit_inbox.address, "Not yours")
    send(mailpit_smtp, mailpit_inbox.address, "Yours", text="body text")
    message = mailpit.wait_for_message(recipient=mailpit_inbox.address)
    assert message.subject == "Yours" and message.text.strip() == "body text"


def test_messages_and_clear(mailpit_inbox_factory, mailpit_smtp):
    mine, other = mailpit_inbox_factory(), mailpit_inbox_factory()
    send(mailpit_smtp, mine.address, "first")
    send(mailpit_smtp, mine.address, "second")
    send(mailpit_smtp, other.address, "theirs")
    assert [m.subject for m in mine.wait_for_messages(2)] == ["first", "second"]
    assert [m.subject for m in mine.messages()] == ["first", "second"]
    mine.clear()
    assert mine.messages() == []
    assert [m.subject for m in other.wait_for_messages(1)] == ["theirs"]


def test_assert_no_message(mailpit_inbox):
    mailpit_inbox.assert_no_message(within=0.5)


def test_reading_a_message(mailpit, mailpit_inbox, mailpit_smtp):
    send(
        mailpit_smtp,
        mailpit_inbox.address,
        "With parts",
        html="<p><b>bold</b></p>",
        attachment=("report.txt", "the report"),
    )
    message = mailpit_inbox.wait_for_message()
    assert mailpit.get_attachment(message.attachment("report.txt")) == b"the report"
    assert mailpit.get_headers(message.id)["Subject"] == ["With parts"]
    assert b"Subject: With parts" in mailpit.get_raw(message.id)
    assert mailpit.get_message().id == message.id  # "latest"
    page = requests.get(mailpit.html_url(message.id), timeout=10)
    assert page.status_code == 200 and "<b>bold</b>" in page.text


def test_read_status_tags_and_delete(mailpit, mailpit_inbox, mailpit_smtp):
    send(mailpit_smtp, mailpit_inbox.address, "Tagged")
    message = mailpit_inbox.wait_for_message(subject="Tagged")
    mailpit.mark_read([message.id], read=False)
    assert [m.read for m in mailpit_inbox.messages()] == [False]
    mailpit.mark_read([message.id])
    assert [m.read for m in mailpit_inbox.messages()] == [True]
    mailpit.set_tags([message.id], ["pytest", "compat"])
    assert [m.tags for m in mailpit.search("tag:compat").messages] == [("compat", "pytest")]
    mailpit.delete_messages([message.id])
    assert mailpit_inbox.messages() == []


def test_check_html(mailpit, mailpit_inbox, mailpit_smtp):
    # The hand-worked mail of mailtrap's tests/test_htmlcheck.py.
    html = (
        '<div><p style="display: flex">Hello</p>'
        '<p>from the <video src="https://shop.example/clip.mp4"></video></p></div>'
    )
    send(mailpit_smtp, mailpit_inbox.address, "Styled", html=html)
    message = mailpit_inbox.wait_for_message()
    check = message.check_html()
    assert check == mailpit.check_html(message.id)
    assert check.nodes == 4 and check.tests > 250
    assert (round(check.unsupported, 2), round(check.partial, 2)) == (17.98, 10.87)
    assert round(check.supported, 2) == 71.15
    video = check.warnings[0]
    assert (video.slug, video.category, video.found) == ("html-video", "html", 1)
    assert video.url.startswith("https://www.caniemail.com/features/")
    assert round(video.unsupported, 2) == 71.93
    assert "Apple Mail" in check.platforms["ios"]
    send(mailpit_smtp, mailpit_inbox.address, "Plain", text="no HTML here")
    plain = mailpit_inbox.wait_for_message(subject="Plain")
    with pytest.raises(MailpitAPIError) as error:
        plain.check_html()
    assert error.value.status_code == 400
    assert "does not contain HTML" in error.value.detail


def test_links_to_this_machine_are_blocked_by_default(mailpit_inbox, mailpit_smtp):
    send(mailpit_smtp, mailpit_inbox.address, "Dev", html='<a href="http://localhost:8000/a">a</a>')
    message = mailpit_inbox.wait_for_message()
    check = message.check_links()
    assert [(link.url, link.status_code, link.blocked) for link in check.links] == [
        ("http://localhost:8000/a", 451, True)
    ]
    assert check.errors == 1
    with pytest.raises(MailpitAssertionError, match="allow-internal-http-requests"):
        message.assert_links_work()
"""

LINKS = r"""
import os

SITE = os.environ["LINK_SITE"]


def test_check_links_gives_each_status(mailpit_inbox, mailpit_smtp):
    html = f'<a href="{SITE}/ok">ok</a> <a href="{SITE}/missing">gone</a>'
    send(mailpit_smtp, mailpit_inbox.address, "Links", text=f"See {SITE}/chain/2", html=html)
    message = mailpit_inbox.wait_for_message()
    check = message.check_links()
    assert [(link.url, link.status_code, link.status) for link in check.links] == [
        (f"{SITE}/ok", 200, "OK"),
        (f"{SITE}/missing", 404, "Not Found"),
        (f"{SITE}/chain/2", 302, "Found"),
    ]
    assert check.errors == 1
    assert [link.url for link in check.broken] == [f"{SITE}/missing"]
    followed = message.check_links(follow_redirects=True)
    assert [link.status_code for link in followed.links] == [200, 404, 200]


def test_assert_links_work(mailpit_inbox, mailpit_smtp):
    html = f'<a href="{SITE}/ok">ok</a> <a href="{SITE}/broken">broken</a>'
    send(mailpit_smtp, mailpit_inbox.address, "Links", html=html)
    message = mailpit_inbox.wait_for_message()
    assert len(message.assert_links_work(ignore=["/broken"]).links) == 2
    with pytest.raises(MailpitAssertionError) as failed:
        message.assert_links_work()
    assert "500 Internal Server Error" in str(failed.value)
    assert f"{SITE}/broken" in str(failed.value)
"""

CHAOS = r"""
import smtplib


def test_reject_recipients_refuses_mail(mailpit_chaos, mailpit_inbox, mailpit_smtp):
    mailpit_chaos.reject_recipients(550)
    triggers = mailpit_chaos.triggers
    assert (triggers.recipient.error_code, triggers.recipient.probability) == (550, 100)
    assert not triggers.sender.active and not triggers.authentication.active
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(mailpit_smtp, mailpit_inbox.address, "Refused")
    assert refused.value.recipients[mailpit_inbox.address][0] == 550
    mailpit_chaos.reset()
    assert not mailpit_chaos.triggers.active
    send(mailpit_smtp, mailpit_inbox.address, "Accepted")
    assert mailpit_inbox.wait_for_message().subject == "Accepted"


def test_reject_senders(mailpit_chaos, mailpit_inbox, mailpit_smtp):
    mailpit_chaos.reject_senders()
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        send(mailpit_smtp, mailpit_inbox.address, "Refused")
    assert refused.value.smtp_code == 451
    # Left on: the fixture turns it off after the test.


def test_the_fixture_restored_the_triggers(mailpit, mailpit_inbox, mailpit_smtp):
    assert not mailpit.chaos().active
    send(mailpit_smtp, mailpit_inbox.address, "Through")
    assert mailpit_inbox.wait_for_message().subject == "Through"


def test_reject_authentication_defaults_to_535(mailpit_chaos):
    mailpit_chaos.reject_authentication()
    triggers = mailpit_chaos.triggers
    assert (triggers.authentication.error_code, triggers.authentication.probability) == (535, 100)
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """`mailtrap serve` with a SQLite store, the way most people run it."""
    server = serve(tmp_path)
    yield server
    server.stop()


def _run_inner(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, served: Served, tests: str
) -> pytest.RunResult:
    python_package("pytest_mailpit")
    for name in ("MAILPIT_URL", "MAILPIT_USERNAME", "MAILPIT_PASSWORD", "MAILPIT_WAIT_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    # The inner run is no xdist worker, even when this one is: pytest-mailpit reads the
    # variable, and would refuse its Chaos fixture as if the inner tests ran in parallel.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MAILPIT_SMTP", "{}:{}".format(*served.smtp))
    pytester.makepyfile(test_with_mailpit=HELPERS + tests)
    return pytester.runpytest_subprocess(
        "--mailpit-url",
        served.url,
        "--mailpit-timeout",
        "5",
        "-p",
        "no:randomly",
        "-W",
        "error::pytest_mailpit.MailpitWarning",
        "-rfEw",
        "-v",
        timeout=180,
    )


def _assert_all_passed(result: pytest.RunResult, count: int, served: Served) -> None:
    outcomes = result.parseoutcomes()
    output = "\n".join(result.outlines + result.errlines)
    server = "".join(served.log[-40:])
    report = f"{output}\n--- server log ---\n{server}"
    assert outcomes.get("passed") == count, report
    assert outcomes.keys() <= {"passed"}, report


def test_ordinary_fixture_tests_pass(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, served: Served
) -> None:
    result = _run_inner(pytester, monkeypatch, served, FIXTURES)
    _assert_all_passed(result, 9, served)


def test_link_check_tests_pass(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """check_links and assert_links_work against a server started with
    --allow-internal-http-requests, the links on a local site."""
    server = serve(tmp_path, "--allow-internal-http-requests")
    try:
        with LinkSite() as site:
            monkeypatch.setenv("LINK_SITE", site.url(""))
            result = _run_inner(pytester, monkeypatch, server, LINKS)
            _assert_all_passed(result, 2, server)
    finally:
        server.stop()


def test_chaos_fixture_tests_pass(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, served: Served
) -> None:
    result = _run_inner(pytester, monkeypatch, served, CHAOS)
    _assert_all_passed(result, 4, served)
