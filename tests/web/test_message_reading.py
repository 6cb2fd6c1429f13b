"""The message page in Chromium, issue 16 part B2: back to the list at the row read, the HTML
preview as tall as the mail (and still inert), and the tabs by keyboard, with `dir="auto"`."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browserapp import App, mail, running
from chromium import require_chromium, wait_until
from oneserver import OneResponse

playwright_api = pytest.importorskip("playwright.sync_api")
require_chromium()  # skips this module where there is none (fails under CI)

expect = playwright_api.expect
PHONE = {"width": 390, "height": 844}
ZONE = "America/St_Johns"  # UTC-3:30 (or -2:30): away from UTC, and not by whole hours


def ids(app: App) -> dict[str, str]:
    """Subject -> ID."""
    return {m.subject: m.id for m in app.store.list(0, 1000).messages}


def focused_row(app: App) -> str:
    """The ID of the inbox row that has focus ("" if none)."""
    return str(
        app.page.evaluate(
            "document.activeElement.matches('a.row') ? document.activeElement.id.slice(2) : ''"
        )
    )


def in_view(app: App, subject: str) -> bool:
    box = app.page.locator("#messages li", has_text=subject).bounding_box()
    assert box is not None
    return bool(box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"])


def test_back_from_a_message_opens_the_list_at_its_row_focused(browser: Any) -> None:
    with running(browser, viewport=PHONE, timezone_id=ZONE) as app:
        app.send_many([mail(f"Row {n:02}") for n in range(60)])  # two pages of 50
        known = ids(app)
        app.open()
        row = app.page.locator("#messages li", has_text="Row 25")
        row.scroll_into_view_if_needed()
        row.locator("a.row").click()
        expect(app.page.locator("h1")).to_have_text("Row 25")
        app.page.get_by_role("link", name="← Inbox").click()
        expect(app.page).to_have_url(f"{app.web.url}/#m-{known['Row 25']}")
        assert focused_row(app) == known["Row 25"]  # Enter opens it again, Tab goes on
        assert app.page.evaluate("scrollY") > 0
        assert in_view(app, "Row 25")
        # j walks into the second page of the list; back is to that page, at that row.
        app.page.keyboard.press("Enter")
        expect(app.page.locator("h1")).to_have_text("Row 25")
        for n in range(24, 8, -1):
            app.settle()
            app.page.keyboard.press("j")
            expect(app.page.locator("h1")).to_have_text(f"Row {n:02}")
        app.page.get_by_role("link", name="← Inbox").click()
        expect(app.page).to_have_url(f"{app.web.url}/?start=50#m-{known['Row 09']}")
        assert focused_row(app) == known["Row 09"]
        assert in_view(app, "Row 09")
        # Mark unread returns there too, the row now unread.
        app.page.keyboard.press("Enter")
        expect(app.page.locator("h1")).to_have_text("Row 09")
        app.settle()
        app.page.get_by_role("button", name="Mark unread").click()
        expect(app.page).to_have_url(f"{app.web.url}/?start=50#m-{known['Row 09']}")
        expect(app.page.locator("#messages li", has_text="Row 09")).to_have_class(
            re.compile(r"\bunread\b")
        )
        assert focused_row(app) == known["Row 09"]


FIT = """() => {
  const f = document.getElementById("html-frame");
  const doc = f.contentDocument.documentElement;
  return f.clientHeight >= doc.scrollHeight && f.clientHeight <= doc.scrollHeight + 2;
}"""


# The frame's height once three more frames have been drawn: ResizeObserver callbacks run
# before each, so a measurement feeding on itself would still be changing it.
SETTLED = """() => new Promise((done) => {
  const later = (n) => requestAnimationFrame(() => n ? later(n - 1) : done(
    document.getElementById("html-frame").clientHeight));
  later(3);
})"""


def frame_height(app: App) -> float:
    return float(app.page.locator("#html-frame").evaluate("f => f.clientHeight"))


def fitted(app: App) -> None:
    """Wait until the frame is exactly as tall as the mail in it (no scrollbar of its own)."""
    wait_until(app.page, FIT)


def test_the_preview_is_as_tall_as_the_mail_at_every_width(browser: Any) -> None:
    tall = "<p>Top</p>" + "<p>A line of the newsletter, long enough to wrap on a phone.</p>" * 60
    tall += "<details><summary id='more'>More</summary><div style='height:900px'></div></details>"
    with running(browser, timezone_id=ZONE) as app:
        app.send_many(
            [
                mail("Tall", html=tall),
                mail("Short", html="<p>One line.</p>"),
                # Sized by the frame: growing the frame must not grow the mail, and so on.
                mail("Viewport", html="<body style='height:100vh;padding:10px'>Full</body>"),
            ]
        )
        known = ids(app)
        app.open(f"/view/{known['Tall']}")
        fitted(app)
        desktop = frame_height(app)
        assert desktop > 2000  # no fixed 70vh box with a scrollbar of its own
        assert app.page.evaluate("document.documentElement.scrollHeight") > desktop
        app.page.get_by_role("button", name="Phone").click()
        expect(app.page.locator("#html-frame")).to_have_js_property("offsetWidth", 375)
        fitted(app)
        assert frame_height(app) > desktop  # narrower: the lines wrap, the mail is taller
        # A <details> opened in the mail (no script needed) grows the frame with it.
        before = frame_height(app)
        app.page.frame_locator("#html-frame").locator("#more").click()
        wait_until(
            app.page,
            "(before) => document.getElementById('html-frame').clientHeight > before",
            before,
        )
        fitted(app)
        # Shown again after another tab, it is measured again.
        app.page.get_by_role("tab", name="Text").click()
        app.page.get_by_role("tab", name="HTML", exact=True).click()
        fitted(app)
        app.open(f"/view/{known['Short']}")
        fitted(app)
        assert 120 <= frame_height(app) < 200
        # A mail as tall as its frame plus its padding fits no height: it keeps a small
        # scrollbar, and its height does not feed on itself.
        app.open(f"/view/{known['Viewport']}")
        wait_until(app.page, "() => document.getElementById('html-frame').style.height")
        settled = app.page.evaluate(SETTLED)
        assert settled < 300
        assert app.page.evaluate(SETTLED) == settled
        app.page.set_viewport_size({"width": 900, "height": 600})  # measured again
        assert app.page.evaluate(SETTLED) == settled


def test_a_measured_preview_is_still_inert(browser: Any) -> None:
    with (
        OneResponse(b"<p>elsewhere</p>", "text/html") as tracker,
        running(browser, timezone_id=ZONE) as app,
    ):
        app.send(mail("Other"))
        other = ids(app)["Other"]
        posts: list[str] = []
        app.page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        beacon = f"{tracker.url}/pwned"
        html = f"""<html><head><meta http-equiv="refresh" content="0;url={beacon}/meta"></head>
          <body><script>parent.document.body.dataset.pwned = "script";
            localStorage.setItem("pwned", "1"); fetch("{beacon}/script")</script>
          <img src="nope" onerror="parent.document.body.dataset.pwned = 'onerror'">
          <img id="read" src="{app.web.url}/api/v1/message/{other}">
          <a id="js" href="javascript:parent.document.body.dataset.pwned='href'">js</a>
          <a id="js-tab" target="_blank" href="javascript:opener.document.title='pwned'">t</a>
          <form action="{beacon}/form" method="post"><button id="go">go</button></form>
          <form action="{app.web.url}/api/v1/messages" method="post"><button id="ours">x</button>
          </form><div style="height:1500px">tall</div></body></html>"""
        app.send(mail("Hostile", html=html))
        app.open(f"/view/{ids(app)['Hostile']}")
        fitted(app)
        assert frame_height(app) > 1500
        frame = app.page.frame_locator("#html-frame")
        for link in ("#js", "#js-tab", "#go", "#ours"):
            frame.locator(link).click()
        # Remote images on: the mail may now name our API as an image; it reads nothing.
        app.page.get_by_label("Load remote images").check()
        expect(app.page.locator("#html-frame")).to_have_attribute("src", re.compile(r"remote=1$"))
        wait_until(
            app.page,
            """() => {
              const doc = document.getElementById("html-frame").contentDocument;
              return doc.readyState === "complete" && doc.URL.endsWith("remote=1");
            }""",
        )
        fitted(app)
        read = frame.locator("#read")
        expect(read).to_have_js_property("complete", True)
        assert app.page.evaluate("document.body.dataset.pwned") is None
        # Untouched by the javascript: link, though it starts with the live unread count.
        assert re.fullmatch(r"(\(\d+\) )?Hostile · mailtrap", app.page.title())
        assert app.page.evaluate("localStorage.length") == 0
        assert app.dialogs == []
        assert len(app.page.context.pages) == 1  # no tab opened by a javascript: link
        assert tracker.hits == []  # no script, refresh or form reached out
        assert posts == []  # neither form was submitted
        assert app.page.url.startswith(f"{app.web.url}/view/")  # the page is still ours
        assert f"{app.web.url}/api/v1/message/{other}" in app.reached  # it was asked for...
        assert app.api_read()["Other"] is False  # ...as an image: not marked read


def test_the_tabs_by_keyboard_and_text_direction(browser: Any) -> None:
    with running(browser, viewport=PHONE, timezone_id=ZONE) as app:
        subject = "שלום עולם"  # Hebrew: "hello world"
        msg = mail(subject, text="line\n" * 200, html="<p>hi</p>")
        msg.replace_header("To", "דנה <dana@example.com>")
        app.send(msg)
        app.open()
        app.read(subject)
        assert app.page.locator("h1").count() == 1
        h1 = app.page.get_by_role("heading", level=1)
        expect(h1).to_have_text(subject)
        assert h1.evaluate("e => e.matches(':dir(rtl)')")
        to = app.page.locator(".addresses dd", has_text="dana@example.com")
        assert to.evaluate("e => e.getAttribute('dir') === 'auto' && e.matches(':dir(rtl)')")
        assert app.page.locator(".addresses dd:not([dir=auto])").count() == 2  # Date, Tags
        assert app.page.locator("table.headers td:not([dir=auto])").count() == 0
        tabs = app.page.get_by_role("tab")
        names = ["HTML", "HTML source", "Text", "Headers", "Source", "Attachments (0)"]
        names += ["Link check", "HTML check", "Accessibility"]  # the checks (issue 18)
        expect(tabs).to_have_text(names)
        # A roving tabindex: only the selected tab is in the Tab order.
        assert tabs.evaluate_all("all => all.map(t => t.tabIndex)") == [0] + [-1] * 8
        tabs.first.focus()
        for key, name in [
            ("ArrowRight", "HTML source"),
            ("ArrowRight", "Text"),
            ("End", "Accessibility"),
            ("ArrowRight", "HTML"),  # round to the first
            ("ArrowLeft", "Accessibility"),
            ("Home", "HTML"),
            ("ArrowLeft", "Accessibility"),
            ("ArrowLeft", "HTML check"),
            ("ArrowLeft", "Link check"),
            ("ArrowLeft", "Attachments (0)"),
            ("ArrowLeft", "Source"),
        ]:
            app.page.keyboard.press(key)
            tab = app.page.get_by_role("tab", name=name, exact=True)
            expect(tab).to_be_focused()
            expect(tab).to_have_attribute("aria-selected", "true")
            expect(tab).to_have_attribute("tabindex", "0")
            expect(app.page.locator(f"#{tab.get_attribute('aria-controls')}")).to_be_visible()
        assert tabs.evaluate_all("all => all.filter(t => t.tabIndex === 0).length") == 1
        expect(app.page).to_have_url(re.compile(r"#source$"))
        # Off the tab list the arrow keys scroll the page, as before; the tab stays.
        app.page.get_by_role("tab", name="Text").click()
        app.page.locator("#panel-text").focus()
        url = app.page.url
        for _ in range(5):
            app.page.keyboard.press("ArrowDown")
        wait_until(app.page, "() => window.scrollY > 0")
        assert app.page.url == url
        expect(app.page.get_by_role("tab", name="Text")).to_have_attribute("aria-selected", "true")
