"""The inbox in Chromium through a TLS-terminating reverse proxy, as deployed behind nginx.

`mailtrap serve --webroot /mail/ --allowed-hosts mail.test` runs on loopback, the proxy in
tests/support/tlsproxy.py serves it as https://mail.test:PORT/mail/ (Chromium resolves
mail.test to 127.0.0.1 and trusts the proxy's certificate). A name, not 127.0.0.1: a page
on a loopback address counts as secure even over http, so mixed content would go unnoticed.
Every request the page makes must succeed over HTTPS, with nothing on the console; the
same holds without --webroot. Skipped only where no Chromium is installed (never under CI).
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx
import images
import pytest
from chromium import CHROMIUM_ARGS, require_chromium, wait_until
from serving import Running, start
from tlsproxy import TLSProxy, tls_pair

from mailtrap import Client

playwright_api = pytest.importorskip("playwright.sync_api")
require_chromium()  # skips this module where there is none (fails under CI)

TIMEOUT_MS = 15_000
TLS_CERT = tls_pair("mail.test")  # one for the module: Chromium is told to trust it at launch


def png(width: int, height: int) -> bytes:
    return images.png(width, height, (128, 128, 128))


def picture_mail(subject: str) -> EmailMessage:
    """HTML with a cid: image, and a PNG attachment (thumbnailed on the Attachments tab)."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "App <app@example.com>", "bob@example.com", subject
    msg.set_content("text part")
    msg.add_alternative("<p>Logo: <img id='logo' src='cid:logo@app'></p>", subtype="html")
    html = msg.get_body(("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(png(24, 12), "image", "png", cid="<logo@app>")
    msg.add_attachment(png(40, 20), maintype="image", subtype="png", filename="chart.png")
    return msg


@dataclass
class Site:
    served: Running
    page: Any
    base: str  # https://mail.test:PORT
    root: str  # "/mail/" or "/"
    requested: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)

    def watch(self) -> None:
        page = self.page
        page.on("request", lambda r: self.requested.append(r.url))
        page.on(
            "requestfailed",
            lambda r: self.problems.append(f"failed {r.method} {r.url}: {r.failure}"),
        )
        page.on("response", self._response)
        page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("websocket", lambda ws: self.sockets.append(ws.url))

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"{response.status} {response.url}")

    def send(self, msg: EmailMessage) -> None:
        with smtplib.SMTP(*self.served.smtp, timeout=10) as client:
            client.send_message(msg)

    def api(self, path: str) -> Any:
        """GET from the API by the page's own fetch (mail.test resolves only in Chromium)."""
        url = f"{self.base}{self.root}api/v1/{path}"
        return self.page.evaluate("async url => (await fetch(url)).json()", url)


@dataclass
class Deployment:
    """`mailtrap serve` under one webroot, its proxy, and a browser trusting the proxy."""

    served: Running
    base: str  # https://mail.test:PORT
    root: str
    browser: Any


@pytest.fixture(scope="module", params=["/mail/", "/"])
def deployment(request: pytest.FixtureRequest) -> Iterator[Deployment]:
    """One per webroot for the module (a serve start and a browser launch each cost about a
    second of CPU). The browser closes first, and with it its idle and spare connections to
    the proxy, so none is left open when the proxy's loop closes."""
    root = request.param
    served = start("--memory", "--allowed-hosts", "mail.test", "--webroot", root)
    try:
        backend = httpx.URL(served.url).port
        assert backend is not None
        with TLSProxy(("127.0.0.1", backend), TLS_CERT.server) as proxy:
            args = [
                *CHROMIUM_ARGS,
                "--host-resolver-rules=MAP mail.test 127.0.0.1",  # no lookup leaves the machine
                f"--ignore-certificate-errors-spki-list={TLS_CERT.spki}",
            ]
            with playwright_api.sync_playwright() as p:
                browser = p.chromium.launch(executable_path=require_chromium(), args=args)
                try:
                    yield Deployment(served, f"https://mail.test:{proxy.port}", root, browser)
                finally:
                    browser.close()
    finally:
        served.stop()


@pytest.fixture
def site(deployment: Deployment) -> Iterator[Site]:
    """A fresh page on the deployment, which holds no mail."""
    Client(deployment.served.url).delete_all()
    context = deployment.browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    site = Site(deployment.served, context.new_page(), deployment.base, deployment.root)
    site.watch()
    try:
        yield site
    finally:
        context.close()


def test_the_inbox_a_message_and_live_mail_work_through_the_proxy(site: Site) -> None:
    page, base, root = site.page, site.base, site.root
    site.send(picture_mail("with pictures"))
    page.goto(base + (root.rstrip("/") or "/"))  # /mail redirects to /mail/
    assert page.url == base + root
    rows = page.locator("#messages li")
    assert rows.count() == 1

    site.send(picture_mail("arrived live"))
    page.locator("#messages li", has_text="arrived live").wait_for()
    assert site.sockets == [f"wss://mail.test:{base.rsplit(':', 1)[1]}{root}api/events"]

    rows.filter(has_text="with pictures").locator("a.row").click()
    page.wait_for_url(f"{base}{root}view/*")
    logo = page.frame_locator("#html-frame").locator("#logo")
    logo.wait_for()
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 24
    page.click("#tab-attachments")
    thumbs = page.locator("img.thumb")  # the attachment's and the cid: image's, 180x120 each
    wait_until(page, "() => [...document.querySelectorAll('img.thumb')].every(i => i.complete)")
    assert thumbs.evaluate_all("imgs => imgs.map(i => i.naturalWidth)") == [180, 180]
    read = {m["Subject"]: m["Read"] for m in site.api("messages")["messages"]}
    assert read == {"with pictures": True, "arrived live": False}  # opening it said so

    page.click("#mark-unread")  # a PUT through the proxy, then back to the inbox, at the row
    page.wait_for_url(re.compile(re.escape(base + root) + "#m-"))
    assert not any(m["Read"] for m in site.api("messages")["messages"])

    page.goto(f"{base}{root}api/docs")
    page.locator(".swagger-ui .info .title", has_text="mailtrap").wait_for()
    operations = page.locator(".swagger-ui .opblock")
    assert operations.count() > 10

    assert site.problems == []
    bare = base + root.rstrip("/")  # the first request, redirected
    outside = [u for u in site.requested if not u.startswith(base + root) and u != bare]
    assert outside == []
    assert f"{base}{root}openapi.json" in site.requested


def test_the_api_docs_try_requests_under_the_webroot(site: Site) -> None:
    """Swagger UI sends "Try it out" requests to the document's server: the webroot."""
    page = site.page
    page.goto(f"{site.base}{site.root}api/docs")
    info = page.locator(
        ".opblock", has=page.locator(".opblock-summary-path", has_text="/api/v1/info")
    )
    info.locator(".opblock-summary").click()
    info.locator("button.try-out__btn").click()
    info.locator("button.execute").click()
    info.locator(".live-responses-table .response-col_status", has_text="200").wait_for()
    # Swagger UI sends the documented default of mailtrap's `extras` along.
    info_url = f"{site.base}{site.root}api/v1/info"
    assert any(url.split("?")[0] == info_url for url in site.requested), site.requested
    assert site.problems == []
