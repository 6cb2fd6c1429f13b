"""The inbox in a real browser: Debian's Chromium driven by Playwright, against a live server.

Skipped, with the reason, only where no Chromium is installed (never under CI, which installs
it). Hostile mail is opened and every tab visited; the test proves nothing in it executed.
"""

from __future__ import annotations

import os
import re
import shutil
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from liveserver import LiveServer

from mailtrap import MemoryStore, MessageStore, SMTPServer
from mailtrap.config import Settings
from mailtrap.web import create_app

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("MAILTRAP_CHROMIUM", "/usr/bin/chromium")
if not shutil.which(CHROMIUM):
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium", pytrace=False)
    pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium", allow_module_level=True)

# Chromium's own network chatter is refused on this machine; keep it quiet.
CHROMIUM_ARGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps"]  # fmt: skip


class App:
    """SMTP and the web app on one store, plus a Chromium page pointed at it."""

    def __init__(self, store: MessageStore, smtp: SMTPServer, web: LiveServer, page: Any):
        self.store, self.smtp, self.web, self.page = store, smtp, web, page
        self.reached: list[str] = []  # requests that got an answer from a server
        self.blocked: list[tuple[str, str]] = []  # requests the browser refused to send
        self.dialogs: list[str] = []
        self.confirm = False  # the answer to our own "Delete every message?" prompt
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

    def open(self, path: str = "/") -> None:
        self.page.goto(self.web.url + path)


def mail(subject: str, text: str = "hello", html: str | None = None, **extra: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "App <app@example.com>", "bob@example.com", subject
    for name, value in extra.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def app(browser: Any) -> Iterator[App]:
    store = MemoryStore()
    with SMTPServer(store, port=0) as smtp:
        settings = Settings(smtp=(smtp.host, smtp.port))
        with LiveServer(create_app(store, settings)) as web:
            context = browser.new_context(viewport={"width": 1100, "height": 700})
            context.set_default_timeout(10_000)
            yield App(store, smtp, web, context.new_page())
            context.close()
    smtp.check()


def test_new_mail_appears_live_and_the_title_counts_unread(app: App) -> None:
    app.open()
    expect = playwright_api.expect
    expect(app.page.locator("#empty")).to_be_visible()
    app.page.wait_for_function("document.getElementById('counts').textContent !== ''")
    app.send(mail("Live delivery <b>works</b>"))
    row = app.page.locator("#messages li").first
    expect(row.locator(".subject")).to_have_text("Live delivery <b>works</b>")
    expect(app.page).to_have_title("(1) Inbox · mailtrap")
    expect(app.page.locator("#empty")).to_be_hidden()


def test_open_a_message_and_switch_every_tab(app: App) -> None:
    expect = playwright_api.expect
    logo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    msg = mail("Tabs", text="plain body", html='<p id="hi">HTML body</p><img src="cid:logo">')
    msg.get_payload()[1].add_related(logo, "image", "png", cid="<logo>")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="terms.pdf")
    app.send(msg)
    app.send(mail("Newer one"))
    app.open()
    app.page.locator("li", has_text="Tabs").locator("a.row").click()
    expect(app.page.locator("h1.subject")).to_have_text("Tabs")
    frame = app.page.frame_locator("#html-frame")
    expect(frame.locator("#hi")).to_have_text("HTML body")
    for tab, panel, text in [("Text", "#panel-text", "plain body"),
                             ("Headers", "#panel-headers", "Subject"),
                             ("Source", "#panel-source", "Content-Type: multipart"),
                             ("Attachments (2)", "#panel-attachments", "terms.pdf"),
                             ("HTML", "#panel-html", "Load remote images")]:  # fmt: skip
        app.page.get_by_role("tab", name=tab).click()
        expect(app.page.locator(panel)).to_be_visible()
        expect(app.page.locator(panel)).to_contain_text(text)
    app.page.get_by_role("button", name="Phone").click()
    assert app.page.locator("#html-frame").evaluate("f => f.getBoundingClientRect().width") == 375
    app.page.keyboard.press("k")  # newer
    expect(app.page.locator("h1.subject")).to_have_text("Newer one")
    app.page.keyboard.press("j")  # older
    expect(app.page.locator("h1.subject")).to_have_text("Tabs")
    assert all(m.read for m in app.store.list().messages)  # opening marks read (the UI does)


def test_search_and_delete(app: App) -> None:
    expect = playwright_api.expect
    for subject in ("Invoice 1", "Invoice 2", "Newsletter"):
        app.send(mail(subject))
    app.open()
    app.page.get_by_role("searchbox").fill("subject:invoice")
    app.page.get_by_role("searchbox").press("Enter")
    expect(app.page.locator("#messages li")).to_have_count(2)
    app.open()
    app.page.locator("li", has_text="Newsletter").locator(".pick").check()
    app.page.get_by_role("button", name="Delete", exact=True).click()
    expect(app.page.locator("#messages li")).to_have_count(2)
    assert [m.subject for m in app.store.list().messages] == ["Invoice 2", "Invoice 1"]
    app.confirm = True
    app.page.get_by_role("button", name="Delete all").click()
    expect(app.page.locator("#empty")).to_be_visible()
    assert app.store.count() == 0


def test_dark_mode_follows_the_os(browser: Any, app: App) -> None:
    app.send(mail("Dark"))
    for scheme, background in (("light", "rgb(255, 255, 255)"), ("dark", "rgb(22, 24, 28)")):
        app.page.emulate_media(color_scheme=scheme)
        app.open()
        assert app.page.evaluate("getComputedStyle(document.body).backgroundColor") == background


def test_hostile_mail_executes_nothing(app: App) -> None:
    base = app.web.url
    beacon = f"{base}/pwned"
    html = f"""<html><head>
      <meta http-equiv="refresh" content="0;url={beacon}/meta">
      <style>@import url("{beacon}/css-import");</style>
      <link rel="stylesheet" href="{beacon}/css-link">
    </head><body>
      <script>alert("script"); fetch("{beacon}/script")</script>
      <img src="x" onerror="alert('onerror'); fetch('{beacon}/onerror')">
      <a id="js" href="javascript:alert('href');fetch('{beacon}/href')">click me</a>
      <form id="f" action="{beacon}/form" method="post"><button id="go">go</button></form>
      <iframe src="{beacon}/iframe"></iframe>
      <svg onload="alert('svg')"></svg>
    </body></html>"""
    msg = mail("<script>alert('subject')</script><img src=x onerror=alert('subject')>",
               text="<script>alert('text')</script><img src=x onerror=alert('text')>",
               html=html)  # fmt: skip
    msg.add_attachment(b"x", maintype="text", subtype="html",
                       filename="<img src=x onerror=alert('file')>.html")  # fmt: skip
    app.send(msg)
    app.open()
    app.page.locator("#messages li a.row").first.click()
    frame = app.page.frame_locator("#html-frame")
    playwright_api.expect(frame.locator("#js")).to_have_text("click me")
    frame.locator("#js").click()
    frame.locator("#go").click()
    for tab in ("Text", "Headers", "Source", "Attachments (1)", "HTML"):
        app.page.get_by_role("tab", name=tab).click()
    app.page.wait_for_timeout(1500)  # time for a refresh, a beacon or an alert to fire
    assert app.dialogs == []
    assert [u for u in app.reached if "/pwned" in u] == []
    # The stylesheet loads were attempted and refused by the mail CSP, not by luck.
    assert {u.rsplit("/", 1)[1] for u, why in app.blocked if why == "csp"} >= {
        "css-import",
        "css-link",
    }
    assert re.search(r"<script>alert\('subject'\)", app.page.locator("h1.subject").inner_text())
    assert app.page.title().startswith("<script>alert('subject')")  # as text, never as markup


def test_phone_width_has_no_sideways_scrolling(app: App) -> None:
    app.send(mail("A subject long enough to need truncating on a small phone screen, surely"))
    app.page.set_viewport_size({"width": 375, "height": 700})
    app.open()
    row = app.page.locator("#messages li").first
    playwright_api.expect(row).to_be_visible()
    assert app.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    row.locator("a.row").click()
    playwright_api.expect(app.page.locator("h1.subject")).to_be_visible()
    assert app.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
