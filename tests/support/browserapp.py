"""mailtrap (SMTP and the web app on one memory store) with a Chromium page pointed at it, for
the browser tests: `running(browser, **context_options)` yields an `App`."""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Iterator, Mapping
from email.message import EmailMessage
from typing import Any

from liveserver import LiveServer

from mailtrap import MemoryStore, MessageStore, SMTPServer
from mailtrap.config import Settings
from mailtrap.web import create_app

__all__ = ["App", "mail", "running"]


class App:
    """SMTP and the web app on one store, plus a Chromium page pointed at it."""

    def __init__(self, store: MessageStore, smtp: SMTPServer, web: LiveServer, page: Any):
        self.store, self.smtp, self.web, self.page = store, smtp, web, page
        self.reached: list[str] = []  # requests that got an answer from a server
        self.blocked: list[tuple[str, str]] = []  # requests the browser refused to send
        self.dialogs: list[str] = []
        self.confirm = False  # the answer to our own "Delete …?" prompts
        page.on("requestfinished", lambda r: self.reached.append(r.url))
        page.on("requestfailed", lambda r: self.blocked.append((r.url, r.failure or "")))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        if self.confirm and dialog.type == "confirm":
            dialog.accept()
        else:
            dialog.dismiss()

    def send(self, msg: EmailMessage) -> None:
        with smtplib.SMTP(self.smtp.host, self.smtp.port) as client:
            client.send_message(msg)

    def send_many(self, msgs: list[EmailMessage]) -> None:
        with smtplib.SMTP(self.smtp.host, self.smtp.port) as client:
            for msg in msgs:
                client.send_message(msg)

    def open(self, path: str = "/") -> Any:
        """Go to `path` on the app; the navigation's response."""
        return self.page.goto(self.web.url + path)

    def read(self, subject: str) -> None:
        """Open the listed message `subject` from the page's list, and wait until its page's
        scripts have run: a click does not wait for them, and a button clicked before they
        run does nothing (seen once on a loaded machine)."""
        from playwright.sync_api import expect

        self.page.locator("li", has_text=subject).locator("a.row").first.click()
        expect(self.page.locator("h1.subject")).to_have_text(subject)
        self.settle()

    def settle(self) -> None:
        """Wait until the page now shown has run its scripts. Call it after an `expect` that
        shows a new page and before a key press or a click that a script handles: what the
        server drew (a heading, an enabled button, a URL) is there before the scripts at the
        end of the body run, and a key pressed in between is lost."""
        self.page.wait_for_load_state("domcontentloaded")

    def api_read(self) -> dict[str, bool]:
        """Subject -> Read, as GET /api/v1/messages reports it."""
        body = self.page.request.get(self.web.url + "/api/v1/messages?limit=1000").json()
        return {m["Subject"]: m["Read"] for m in body["messages"]}


def mail(subject: str, text: str = "hello", html: str | None = None, **extra: str) -> EmailMessage:
    """A message from App <app@example.com> to bob@example.com; `extra` are headers
    (`X_Tags="a, b"` is X-Tags)."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "App <app@example.com>", "bob@example.com", subject
    for name, value in extra.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


@contextlib.contextmanager
def running(
    browser: Any, *, server: Mapping[str, Any] | None = None, **options: Any
) -> Iterator[App]:
    """mailtrap on fresh ports and a new browser context (`options`: Playwright's, a
    1100x700 viewport unless given), closed at the end. `server` holds further `Settings`
    of mailtrap's (`{"smtp_spamassassin": ...}`)."""
    store = MemoryStore()
    with SMTPServer(store, port=0) as smtp:
        settings = Settings(smtp=(smtp.host, smtp.port), **(server or {}))
        with LiveServer(create_app(store, settings)) as web:
            context = browser.new_context(**{"viewport": {"width": 1100, "height": 700}, **options})
            context.set_default_timeout(10_000)
            try:
                yield App(store, smtp, web, context.new_page())
            finally:
                context.close()
    smtp.check()
