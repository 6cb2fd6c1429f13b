"""A failed test's mail in its pytest-html report (`pytest --html report.html`).

pytest-mailpit attaches a failed test's messages to pytest-html and Allure; this does the same
for pytest-html: the report keeps what the test received after the run (and a CI job) is gone.
Registered only when pytest-html writes a report, so other runs pay nothing for it.
"""

from __future__ import annotations

import html
from collections.abc import Generator
from typing import TYPE_CHECKING

import pytest

from mailtrap.pytest_plugin.plugin import MAILBOX

if TYPE_CHECKING:
    from mailtrap.mailbox import BaseMailbox
    from mailtrap.message.models import Message

__all__ = ["HtmlReport"]

MAX_ATTACHED = 10  # the newest this many messages; the count says how many arrived


class HtmlReport:
    """Adds the messages a failed test's mailbox received to its report's `extras`."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        mailbox = item.stash.get(MAILBOX, None)
        if mailbox is not None and report.failed and report.when == "call":
            from pytest_html import extras

            report.extras = [  # type: ignore[attr-defined]
                *getattr(report, "extras", []),
                extras.html(received(mailbox)),
            ]
        return report


def received(mailbox: BaseMailbox) -> str:
    """What the mailbox received, as HTML for the report."""
    try:
        messages = mailbox.messages
    except Exception as error:  # a remote server gone: the report still gets written
        return f"<p>mailtrap: could not read the messages: {html.escape(repr(error))}</p>"
    shown = messages[-MAX_ATTACHED:]
    heading = f"mailtrap: {len(messages)} message{'' if len(messages) == 1 else 's'} received"
    if len(shown) < len(messages):
        heading += f", the last {len(shown)} shown"
    cards = "".join(_card(m) for m in shown)
    return f'<div class="mailtrap-messages"><p><b>{heading}</b></p>{cards}</div>'


def _card(message: Message) -> str:
    """One message: its headers, attachments, and body (HTML in a sandboxed frame, which
    keeps its styles out of the report and runs none of its scripts)."""
    sender = message.sender.address if message.sender else message.envelope.mail_from
    to = ", ".join(a.address for a in (*message.to, *message.cc, *message.bcc))
    files = ", ".join(f"{a.filename or '(unnamed)'} ({a.size} bytes)" for a in message.attachments)
    lines = [
        f"<b>{html.escape(message.subject or '(no subject)')}</b>",
        f"From {html.escape(sender or '-')} to {html.escape(to or '-')}",
        f"Received {message.created.astimezone():%Y-%m-%d %H:%M:%S %Z}",
        *([f"Attachments: {html.escape(files)}"] if files else []),
    ]
    if message.html:
        body = (
            f'<iframe sandbox="" srcdoc="{html.escape(message.html, quote=True)}" '
            'style="width: 100%; height: 300px; border: 1px solid #ccc; background: #fff">'
            "</iframe>"
        )
    else:
        body = f'<pre style="white-space: pre-wrap">{html.escape(message.text)}</pre>'
    return f'<div class="mailtrap-message"><p>{"<br>".join(lines)}</p>{body}</div>'
