"""What a failing test shows, in the terminal and in pytest-html's report, and the async
mailbox with mail sent from the test's own event loop (issue 17)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

SEND = """
import smtplib
from email.message import EmailMessage

def send(mailtrap, to, subject, body="hello", html=None, files=()):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "app@example.com", to, subject
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    for name in files:
        msg.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename=name)
    with smtplib.SMTP(mailtrap.host, mailtrap.port) as smtp:
        smtp.send_message(msg)
"""


def failure_sections(output: str) -> dict[str, list[str]]:
    """Each failed test's section of pytest's FAILURES report, by test name."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        title = re.fullmatch(r"_{3,} (\w+) _{3,}", line)
        if title:
            current = sections.setdefault(title.group(1), [])
        elif line.startswith(("=====", "----- Captured")):
            current = None
        elif current is not None:
            current.append(line)
    return sections


def test_a_failure_shows_the_test_line_and_the_message_not_the_plugin_source(
    pytester: pytest.Pytester,
) -> None:
    """Issue 17: one wait_for failure was 59 lines, 35 of them plugin source. The methods and
    helpers hide their frames (`__tracebackhide__`): 52 lines before, 12 now."""
    pytester.makeconftest(SEND)
    pytester.makepyfile(
        """
        import asyncio
        from conftest import send

        def test_wait_for(mailtrap):
            send(mailtrap, "user@example.com", "Reset")
            mailtrap.wait_for(subject="Welcome", timeout=0.2)

        def test_exactly(mailtrap):
            send(mailtrap, "user@example.com", "Reset")
            send(mailtrap, "user@example.com", "Reset")
            mailtrap.wait_for(2)
            mailtrap.wait_for(subject="Reset", exactly=True)

        def test_assert_no_message(mailtrap):
            send(mailtrap, "user@example.com", "Oops")
            mailtrap.assert_no_message(within=0.1)

        def test_link(mailtrap):
            send(mailtrap, "user@example.com", "Hi", html='<a href="https://x.test/a">Go</a>')
            mailtrap.wait_for().link(text="Stop")

        def test_code(mailtrap):
            send(mailtrap, "user@example.com", "Hi", body="code 424242")
            mailtrap.wait_for().code(r"\\b\\d{6}\\b")

        def test_attachment(mailtrap):
            send(mailtrap, "user@example.com", "Hi", files=["a.pdf"])
            mailtrap.wait_for().attachment("*.png")

        def test_wait_for_async(mailtrap):
            asyncio.run(mailtrap.wait_for_async(subject="Welcome", timeout=0.1))

        def test_assert_no_message_async(mailtrap):
            send(mailtrap, "user@example.com", "Oops")
            asyncio.run(mailtrap.assert_no_message_async(within=0.1))
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=8)
    sections = failure_sections(result.stdout.str())
    assert len(sections) == 8
    for name, lines in sections.items():
        shown = "\n".join(lines)
        # No frame of mailtrap's own code: an entry would end "mailtrap/....py:LINE: ...".
        assert not re.search(r"mailtrap/\S+\.py:\d+:", shown), f"{name}:\n{shown}"
        if name.endswith("_async"):
            continue  # asyncio.run's frames are the test's own call, and pytest shows them
        assert len([line for line in lines if line.startswith(">")]) == 1, shown
        assert len(lines) <= 16, shown
    assert len(sections["test_wait_for"]) <= 12
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: expected 1 message (subject='Welcome') within 0.2s; *",
            "E       AssertionError: expected exactly 1 message (subject='Reset'), but 2 match:",
            "E       AssertionError: expected no messages, but got:",
            "E       mailtrap.message.extract.ExtractionError: expected exactly one link with "
            "text containing 'Stop', found none; *",
            "E       a str is a plain substring, not a regex; for a regex pass "
            r"re.compile(r'\b\d{6}\b'), which finds '424242'",
            "E       mailtrap.message.extract.ExtractionError: expected exactly one attachment "
            "named '*.png' (a glob, case ignored), found none; *",
        ]
    )


def test_pytest_html_report_holds_a_failed_tests_mail(pytester: pytest.Pytester) -> None:
    """As pytest-mailpit does: a failed test's messages are attached to pytest-html's report,
    so a CI artifact keeps them; a passing test's are not."""
    pytester.makeconftest(SEND)
    pytester.makepyfile(
        """
        from conftest import send

        def test_fails(mailtrap):
            send(mailtrap, "user@example.com", "Plain <one>", body="Hello <b>there</b>")
            send(mailtrap, "user@example.com", "Rich", html="<p>Click <script>x()</script></p>",
                 files=["invoice.pdf"])
            mailtrap.wait_for(2)
            assert False, "the app sent the wrong mail"

        def test_passes(mailtrap):
            send(mailtrap, "user@example.com", "Nothing to see")
            mailtrap.wait_for()
        """
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--html", "report.html", "--self-contained-html"
    )
    result.assert_outcomes(passed=1, failed=1)
    extras = report_extras(pytester.path / "report.html")
    assert extras["test_passes"] == []
    [card] = extras["test_fails"]
    assert card.startswith('<div class="mailtrap-messages"><p><b>mailtrap: 2 messages received')
    assert "<b>Plain &lt;one&gt;</b>" in card  # escaped: the subject is not the report's markup
    assert "Attachments: invoice.pdf (4 bytes)" in card
    assert '<pre style="white-space: pre-wrap">Hello &lt;b&gt;there&lt;/b&gt;\n</pre>' in card
    # An HTML body goes into a sandboxed frame: its script never runs in the report.
    assert '<iframe sandbox="" srcdoc="&lt;p&gt;Click &lt;script&gt;x()&lt;/script&gt;' in card


def report_extras(path: Path) -> dict[str, list[str]]:
    """The HTML extras of each test in a pytest-html 4 report (kept as a JSON attribute)."""
    blob = re.search(r'data-jsonblob="([^"]*)"', path.read_text())
    assert blob is not None
    tests = json.loads(html.unescape(blob.group(1)))["tests"]
    return {
        nodeid.rsplit("::", 1)[1]: [e["content"] for r in runs for e in r["extras"]]
        for nodeid, runs in tests.items()
    }


def test_the_async_mailbox_with_aiosmtplib_on_the_same_loop(pytester: pytest.Pytester) -> None:
    """Mail sent by a task on the test's own loop (aiosmtplib) reaches the awaited forms; the
    sync forms, which would block that loop, refuse and name the async ones (issue 17: they
    timed out, or passed wrongly)."""
    pytester.makepyfile(
        """
        import asyncio
        from email.message import EmailMessage

        import aiosmtplib
        import pytest

        async def send(mailtrap, to, subject):
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = "app@example.com", to, subject
            msg.set_content("hi")
            await aiosmtplib.send(msg, hostname=mailtrap.host, port=mailtrap.port)

        def test_async_mailbox(mailtrap):
            async def main():
                to = mailtrap.address()
                sending = asyncio.create_task(send(mailtrap, to, "one"))
                assert (await mailtrap.wait_for_async(to=to, timeout=5)).subject == "one"
                await sending
                assert [m.subject for m in await mailtrap.messages_async()] == ["one"]
                await mailtrap.fail_next_async("rcpt", 550, times=1)
                with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
                    await send(mailtrap, to, "refused")
                await mailtrap.clear_async()
                assert await mailtrap.messages_async() == []
                await mailtrap.assert_no_message_async(within=0.1)

            asyncio.run(main())

        def test_assert_no_message_async_sees_mail_from_the_loop(mailtrap):
            async def main():
                sending = asyncio.create_task(send(mailtrap, mailtrap.address(), "late"))
                with pytest.raises(AssertionError, match="expected no messages, but got"):
                    await mailtrap.assert_no_message_async(within=5)
                await sending

            asyncio.run(main())

        def test_sync_forms_refuse_on_the_loop(mailtrap):
            async def main():
                with pytest.raises(RuntimeError, match="use `await mailtrap.wait_for_async"):
                    mailtrap.wait_for(timeout=0.1)
                with pytest.raises(RuntimeError, match="mailtrap.assert_no_message_async"):
                    mailtrap.assert_no_message(within=0.1)

            asyncio.run(main())
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)
