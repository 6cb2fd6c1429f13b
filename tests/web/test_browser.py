"""The inbox in a real browser: Debian's Chromium driven by Playwright, against a live server.

Skipped, with the reason, only where no Chromium is installed (never under CI, which installs
it). Hostile mail is opened and every tab visited; the test proves nothing in it executed.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import images
import pytest
from browserapp import App, mail, running
from chromium import require_chromium, wait_until
from oneserver import OneResponse

playwright_api = pytest.importorskip("playwright.sync_api")
require_chromium()  # skips this module where there is none (fails under CI)


def png(width: int, height: int) -> bytes:
    return images.png(width, height, (0, 0, 0))


@pytest.fixture
def app(browser: Any) -> Iterator[App]:
    with running(browser) as app:
        yield app


def test_new_mail_appears_live_and_the_title_counts_unread(app: App) -> None:
    app.open()
    expect = playwright_api.expect
    expect(app.page.locator("#empty")).to_be_visible()
    expect(app.page.locator("#counts")).not_to_have_text("")  # the event socket is open
    app.send(mail("Live delivery <b>works</b>"))
    row = app.page.locator("#messages li").first
    expect(row.locator(".subject")).to_have_text("Live delivery <b>works</b>")
    expect(app.page).to_have_title("(1) Inbox · mailtrap")
    expect(app.page.locator("#empty")).to_be_hidden()


def test_open_a_message_and_switch_every_tab(app: App) -> None:
    expect = playwright_api.expect
    logo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    msg = mail("Tabs", text="plain body", html='<p id="hi">HTML body</p><img src="cid:logo">')
    *_, html = msg.iter_parts()  # the text/html alternative
    assert isinstance(html, EmailMessage)
    html.add_related(logo, "image", "png", cid="<logo>")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="terms.pdf")
    app.send(msg)
    app.send(mail("Newer one"))
    app.open()
    app.read("Tabs")
    frame = app.page.frame_locator("#html-frame")
    expect(frame.locator("#hi")).to_have_text("HTML body")
    for tab, panel, text in [
        ("Text", "#panel-text", "plain body"),
        ("Headers", "#panel-headers", "Subject"),
        ("Source", "#panel-source", "Content-Type: multipart"),
        ("Attachments (2)", "#panel-attachments", "terms.pdf"),
        ("HTML", "#panel-html", "Load remote images"),
    ]:
        app.page.get_by_role("tab", name=tab, exact=True).click()
        expect(app.page.locator(panel)).to_be_visible()
        expect(app.page.locator(panel)).to_contain_text(text)
    app.page.get_by_role("button", name="Phone").click()
    assert app.page.locator("#html-frame").evaluate("f => f.getBoundingClientRect().width") == 375
    app.page.keyboard.press("k")  # newer
    expect(app.page.locator("h1.subject")).to_have_text("Newer one")
    app.settle()
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
    msg = mail(
        "<script>alert('subject')</script><img src=x onerror=alert('subject')>",
        text="<script>alert('text')</script><img src=x onerror=alert('text')>",
        html=html,
    )
    msg.add_attachment(
        b"x", maintype="text", subtype="html", filename="<img src=x onerror=alert('file')>.html"
    )
    app.send(msg)
    app.open()
    app.page.locator("#messages li a.row").first.click()
    frame = app.page.frame_locator("#html-frame")
    playwright_api.expect(frame.locator("#js")).to_have_text("click me")
    frame.locator("#js").click()
    frame.locator("#go").click()
    for tab in ("Text", "Headers", "Source", "Attachments (1)", "HTML"):
        app.page.get_by_role("tab", name=tab, exact=True).click()
    app.page.wait_for_timeout(1500)  # time for a refresh, a beacon or an alert to fire
    assert app.dialogs == []
    assert len(app.page.context.pages) == 1  # links may open tabs (new_tabs): these opened none
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


def test_pager_older_and_newer(app: App) -> None:
    expect = playwright_api.expect
    app.send_many([mail(f"Bulk {n:02}") for n in range(51)])  # page size is 50
    app.open()
    rows = app.page.locator("#messages li")
    expect(rows).to_have_count(50)
    expect(rows.first.locator(".subject")).to_have_text("Bulk 50")
    expect(rows.last.locator(".subject")).to_have_text("Bulk 01")
    expect(app.page.locator("#range")).to_have_text("1\u201350 of 51")
    expect(app.page.get_by_role("link", name="Newer")).to_have_count(0)
    app.page.get_by_role("link", name="Older").click()
    expect(app.page).to_have_url(re.compile(r"\?start=50$"))
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".subject")).to_have_text("Bulk 00")  # the oldest
    expect(app.page.locator("#range")).to_have_text("51\u201351 of 51")
    expect(app.page.get_by_role("link", name="Older")).to_have_count(0)
    app.page.get_by_role("link", name="Newer").click()
    expect(rows).to_have_count(50)
    expect(rows.first.locator(".subject")).to_have_text("Bulk 50")
    expect(app.page.locator("#range")).to_have_text("1\u201350 of 51")


def test_select_two_and_mark_read_then_unread(app: App) -> None:
    expect = playwright_api.expect
    app.send_many([mail(s) for s in ("Alpha", "Bravo", "Charlie")])
    app.open()
    expect(app.page.locator("#messages li")).to_have_count(3)
    row = {s: app.page.locator("#messages li", has_text=s) for s in ("Alpha", "Bravo", "Charlie")}
    unread = re.compile(r"\bunread\b")
    mark_read = app.page.get_by_role("button", name="Mark read")
    mark_unread = app.page.get_by_role("button", name="Mark unread")
    expect(mark_read).to_be_disabled()
    for s in ("Alpha", "Charlie"):
        expect(row[s]).to_have_class(unread)
        row[s].locator(".pick").check()
    expect(mark_read).to_be_enabled()
    mark_read.click()
    for s in ("Alpha", "Charlie"):
        expect(row[s]).not_to_have_class(unread)
        expect(row[s].locator(".subject")).not_to_have_css("font-weight", "700")
    expect(row["Bravo"]).to_have_class(unread)
    expect(row["Bravo"].locator(".subject")).to_have_css("font-weight", "700")
    expect(app.page).to_have_title("(1) Inbox · mailtrap")
    assert app.api_read() == {"Alpha": True, "Bravo": False, "Charlie": True}
    mark_unread.click()  # the same two are still selected
    for s in ("Alpha", "Charlie"):
        expect(row[s]).to_have_class(unread)
        expect(row[s].locator(".subject")).to_have_css("font-weight", "700")
    expect(app.page).to_have_title("(3) Inbox · mailtrap")
    assert app.api_read() == {"Alpha": False, "Bravo": False, "Charlie": False}


def test_remote_images_load_only_after_the_toggle(app: App) -> None:
    expect = playwright_api.expect
    with OneResponse(png(3, 2), "image/png") as pixel:
        src = f"{pixel.url}/pixel.png"
        app.send(mail("Remote", html=f'<p id="hi">Hi</p><img id="px" src="{src}">'))
        app.open()
        with app.page.expect_event("requestfailed", lambda r: r.url == src) as refused:
            app.page.locator("li", has_text="Remote").locator("a.row").click()
        assert refused.value.failure == "csp"
        frame = app.page.frame_locator("#html-frame")
        expect(frame.locator("#hi")).to_have_text("Hi")
        app.settle()
        assert frame.locator("#px").evaluate("i => i.naturalWidth") == 0
        assert pixel.hits == []
        with app.page.expect_event("requestfinished", lambda r: r.url == src):
            app.page.get_by_label("Load remote images").check()
        expect(frame.locator("#px")).to_have_js_property("naturalWidth", 3)
        assert pixel.hits == ["/pixel.png"]


def test_attachment_preview_and_download_eml(app: App) -> None:
    expect = playwright_api.expect
    msg = mail("With picture")
    msg.add_attachment(png(4, 5), maintype="image", subtype="png", filename="chart.png")
    app.send(msg)
    app.open()
    app.read("With picture")
    app.page.get_by_role("tab", name="Attachments (1)").click()
    # A thumbnail (180x120, Mailpit's), and the picture itself a click away.
    thumb = app.page.locator("#panel-attachments img.thumb")
    expect(thumb).to_be_visible()
    expect(thumb).to_have_js_property("naturalWidth", 180)
    expect(thumb).to_have_js_property("naturalHeight", 120)
    with app.page.context.expect_page() as opened:
        app.page.get_by_role("link", name="Open").click()
    picture = opened.value.locator("img")
    expect(picture).to_have_js_property("naturalWidth", 4)
    expect(picture).to_have_js_property("naturalHeight", 5)
    opened.value.close()
    id = app.page.locator("article.view").get_attribute("data-id")
    raw = app.page.request.get(f"{app.web.url}/api/v1/message/{id}/raw").body()
    with app.page.expect_download() as download:
        app.page.get_by_role("link", name="Download .eml").click()
    assert download.value.suggested_filename == f"{id}.eml"
    assert Path(download.value.path()).read_bytes() == raw
    assert raw == app.store.get_raw(str(id))


class Tracker:
    """A TCP listener on loopback that only counts connections: a preconnect or a TLS
    ClientHello (whose SNI already tells the sender the mail was opened) counts, not just a
    finished request."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:  # the 0.1 s timeout: look at `stopping` again
                continue
            self.connections += 1
            conn.close()

    def __enter__(self) -> Tracker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()


def settled(page: Any, remote: bool) -> None:
    """Once the mail frame (with remote images or not) has loaded, plus a moment: Chromium
    starts preconnects, hints and frame loads while it parses, before the load event."""
    wait_until(
        page,
        "remote => document.getElementById('html-frame').src.endsWith('?remote=1') === remote",
        remote,
    )
    page.locator("#html-frame").element_handle().content_frame().wait_for_load_state("load")
    page.wait_for_timeout(300)


def test_opening_mail_connects_to_no_remote_frame_or_hint(app: App) -> None:
    """Before mailhtml, the frames alone made Chromium connect (TCP, and TLS with the SNI)
    although the CSP refused them; with remote images on, prefetch and <base> did too."""
    with Tracker() as tracker:
        # `localhost`, not an IP literal: a name is what a tracker uses, and Chromium resolves
        # it itself, so preconnects and hints to it are really attempted.
        http, https = f"http://localhost:{tracker.port}", f"https://localhost:{tracker.port}"
        head = f"""<base href="{http}/base/">
          <meta http-equiv="refresh" content="0;url={http}/refresh">
          <link rel="preconnect" href="{https}"><link rel="dns-prefetch" href="{http}">
          <link rel="prefetch" href="{http}/prefetch"><link rel="prerender" href="{http}/pr">
          <link rel="preload" as="fetch" href="{http}/preload">"""
        body = f"""<p id="hi">Hi</p>
          <iframe src="{https}/iframe"></iframe><iframe src="{http}/iframe"></iframe>
          <iframe srcdoc="<iframe src='{https}/srcdoc'></iframe>"></iframe>
          <object data="{https}/object"></object><embed src="{https}/embed">
          <template shadowrootmode="open"><iframe src="{https}/shadow"></iframe></template>
          <noscript><iframe src="{https}/noscript"></iframe></noscript>
          <a href="#top" ping="{http}/ping">top</a><img src="relative.png" alt="">"""
        app.send(mail("Inline frames", html=f"<html><head>{head}</head><body>{body}</body></html>"))
        frameset = f'<frameset><frame src="{https}/frame"><frame src="{http}/frame"></frameset>'
        app.send(mail("Frameset", html=f"<html><head>{head}</head>{frameset}</html>"))
        expect = playwright_api.expect
        for subject in ("Inline frames", "Frameset"):
            app.open()
            app.page.locator("li", has_text=subject).locator("a.row").click()
            expect(app.page.locator("h1.subject")).to_have_text(subject)
            settled(app.page, remote=False)
            app.page.get_by_label("Load remote images").check()
            settled(app.page, remote=True)
        expect(app.page.frame_locator("#html-frame").locator("frameset")).to_have_count(1)
        assert tracker.connections == 0


def test_api_docs_render_from_our_origin_only(app: App) -> None:
    """Swagger UI's own assets, not a CDN's: every request the page makes stays on our origin,
    and the page's CSP (our scripts only) refuses nothing Swagger UI needs."""
    requested: list[str] = []
    console: list[str] = []
    app.page.on("request", lambda r: requested.append(r.url))
    app.page.on("console", lambda m: console.append(m.text))
    app.open("/api/docs")
    operations = app.page.locator(".opblock-summary-path")
    playwright_api.expect(operations.filter(has_text="/api/v1/messages").first).to_be_visible()
    assert operations.count() >= 10
    operations.filter(has_text="/api/v1/info").first.click()  # expands: React re-renders
    playwright_api.expect(app.page.locator(".opblock-body").first).to_be_visible()
    assert f"{app.web.url}/openapi.json" in requested
    assert [u for u in requested if not u.startswith((app.web.url + "/", "data:"))] == []
    assert [m for m in console if "Content Security Policy" in m] == []
