"""The message page in Chromium: links in mail, the list it was opened from, keys, large mail,
feedback while acting, 404 pages and phone width (issue 16, part A)."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from browserapp import App, mail, running
from chromium import require_chromium, wait_until
from mailfactory import envelope_for
from oneserver import OneResponse

playwright_api = pytest.importorskip("playwright.sync_api")
require_chromium()  # skips this module where there is none (fails under CI)

expect = playwright_api.expect
DATA = Path(__file__).resolve().parents[1] / "data"
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def test_a_link_in_mail_opens_a_new_tab_and_the_preview_stays(browser: Any) -> None:
    with OneResponse(b"<title>Shop</title><p>landing</p>", "text/html") as shop:
        html = f"""<html><head><base href="{shop.url}/evil/" target="_self"></head><body>
          <p id="hi">Hello</p><a id="within" href="#end">to the end</a>
          <a id="out" href="{shop.url}/track">Track your parcel</a><p id="end">end</p>
          </body></html>"""
        with running(browser) as app:
            app.send(mail("Links", html=html))
            app.open()
            app.page.locator("li", has_text="Links").locator("a.row").click()
            frame = app.page.frame_locator("#html-frame")
            expect(frame.locator("#hi")).to_have_text("Hello")
            sandbox = app.page.locator("#html-frame").get_attribute("sandbox") or ""
            # allow-same-origin lets the page measure the mail (part B2); never allow-scripts.
            assert sorted(sandbox.split()) == [
                "allow-popups",
                "allow-popups-to-escape-sandbox",
                "allow-same-origin",
            ]
            # Ours is the only <base> left, and the first thing in <head>.
            bases = frame.locator("base").evaluate_all("all => all.map(b => b.outerHTML)")
            assert bases == ['<base target="_blank">']
            first = frame.locator("head > :first-child").evaluate("e => e.outerHTML")
            assert first == '<base target="_blank">'
            inbox = app.page.url
            frame.locator("#within").click()  # a place in the mail: stays in the frame
            with app.page.context.expect_page() as opened:
                frame.locator("#out").click()
            # The first new tab is the shop's: the link within the mail opened none.
            expect(opened.value).to_have_url(f"{shop.url}/track")
            expect(opened.value).to_have_title("Shop")
            assert len(app.page.context.pages) == 2
            assert app.page.url == inbox
            expect(frame.locator("#hi")).to_have_text("Hello")  # the preview is still there
            assert "/evil/" not in " ".join(shop.hits)


def billing(n: int) -> EmailMessage:
    msg = mail(
        f"Billing {n:02}",
        text="".join(f"line {i} of the invoice, <b>not bold</b>\n" for i in range(300)),
        html=f"<p id='n'>Invoice {n}</p>",
    )
    msg.replace_header("From", "Billing <billing@shop.example>")
    return msg


def search_mailbox(app: App) -> None:
    """60 messages from billing@ (page size 50), with others between them (just after Billing
    00, 10, 20...) and one older than all."""
    msgs = [mail("Other first")]
    for n in range(60):
        msgs.append(billing(n))
        if n % 10 == 0:
            msgs.append(mail(f"Other {n}"))
    app.send_many(msgs)


def test_message_navigation_keeps_the_search_and_the_page(browser: Any) -> None:
    with running(browser) as app:
        search_mailbox(app)
        listed = "/?q=from%3Abilling&start=50"
        app.open(listed)
        rows = app.page.locator("#messages li")
        expect(rows).to_have_count(10)
        rows.first.locator("a.row").click()
        subject = app.page.locator("h1.subject")
        expect(subject).to_have_text("Billing 09")
        app.settle()
        back = app.page.get_by_role("link", name="← Inbox")
        expect(back).to_have_attribute("href", re.compile(re.escape(listed) + "#m-"))
        # Newer is the last row of the search's first page, older the next billing mail,
        # not the "Other" mail between them.
        newer, older = app.page.locator("#prev"), app.page.locator("#next")
        expect(newer).to_have_attribute("href", re.compile(r"\?q=from%3Abilling$"))
        expect(older).to_have_attribute("href", re.compile(r"\?q=from%3Abilling&start=50$"))
        app.page.keyboard.press("k")
        expect(subject).to_have_text("Billing 10")
        expect(back).to_have_attribute("href", re.compile(r"^/\?q=from%3Abilling#m-"))
        app.settle()
        app.page.keyboard.press("j")
        expect(subject).to_have_text("Billing 09")
        for n in range(8, -1, -1):  # past "Other 0", between Billing 01 and 00 in the inbox
            older.click()
            expect(subject).to_have_text(f"Billing {n:02}")
        expect(older).to_have_count(0)  # "Other first" is older, but outside the search
        app.settle()
        # Mark unread: back to the list it came from, not to the inbox.
        app.page.get_by_role("button", name="Mark unread").click()
        expect(app.page).to_have_url(re.compile(re.escape(app.web.url + listed) + "#m-"))
        assert app.api_read()["Billing 00"] is False
        # Delete: on to the next message of the search, still in it.
        app.read("Billing 02")
        app.page.get_by_role("button", name="Delete").click()
        expect(subject).to_have_text("Billing 01")
        expect(app.page).to_have_url(re.compile(r"\?q=from%3Abilling&start=50$"))
        assert "Billing 02" not in app.api_read()


def test_the_tab_is_in_the_url_and_arrow_keys_scroll_it(browser: Any) -> None:
    with running(browser) as app:
        app.send_many([billing(n) for n in range(3)])
        app.open()
        app.read("Billing 01")
        app.page.get_by_role("tab", name="Source", exact=True).click()
        expect(app.page).to_have_url(re.compile(r"#source$"))
        source = app.page.locator("#panel-source pre")
        expect(source).to_contain_text("line 299 of the invoice, <b>not bold</b>")
        assert source.locator("b").count() == 0  # the source is text, never markup
        app.page.reload()
        tab = app.page.get_by_role("tab", name="Source", exact=True)
        expect(tab).to_have_attribute("aria-selected", "true")
        expect(source).to_contain_text("line 299")
        url = app.page.url
        for _ in range(5):
            app.page.keyboard.press("ArrowDown")
        wait_until(app.page, "window.scrollY > 0")  # it scrolled...
        assert app.page.url == url  # ...and went nowhere
        expect(tab).to_have_attribute("aria-selected", "true")
        app.page.keyboard.press("j")  # older, on the same tab
        expect(app.page.locator("h1.subject")).to_have_text("Billing 00")
        expect(app.page).to_have_url(re.compile(r"#source$"))
        expect(source).to_contain_text("line 299")
        # The first tab: a bare URL again.
        app.page.get_by_role("tab", name="HTML", exact=True).click()
        expect(app.page).to_have_url(re.compile(r"/view/[\w-]+$"))


def test_a_2mb_mail_has_a_small_page_and_loads_source_and_text_on_demand(browser: Any) -> None:
    raw = (DATA / "broken-2mb-single-line-html.eml").read_bytes()
    with running(browser) as app:
        id = app.store.add(raw, envelope_for(raw)).id
        response = app.open(f"/view/{id}")
        assert response.status == 200
        assert len(response.body()) < 64 * 1024  # was 3 MiB: the source and text inlined
        expect(app.page.frame_locator("#html-frame").locator("p").first).to_have_text(
            "Report start."
        )
        fetched = [u for u in app.reached if "/raw" in u or u.endswith(".txt")]
        assert fetched == []
        app.page.get_by_role("tab", name="Source", exact=True).click()
        source = app.page.locator("#panel-source pre")
        expect(source).to_contain_text("Subject: 2 MB single-line HTML body")
        expect(source).to_contain_text("Report end.")
        app.page.get_by_role("tab", name="Text").click()
        expect(app.page.locator("#panel-text pre")).to_have_text("(no text part)")
        assert len([u for u in app.reached if f"/api/v1/message/{id}/raw" in u]) == 1


def test_deleting_shows_progress_and_disables_the_buttons(browser: Any) -> None:
    with running(browser) as app:
        app.send_many([mail("Keep"), mail("Doomed")])
        app.open()
        app.read("Doomed")
        held: list[Any] = []

        def hold_deletes(route: Any) -> None:
            if route.request.method == "DELETE":
                held.append(route)
            else:
                route.continue_()

        app.page.route("**/api/v1/messages", hold_deletes)
        app.page.get_by_role("button", name="Delete").click()
        busy = app.page.get_by_role("status")
        expect(busy).to_have_text("Deleting…")
        expect(app.page.locator("article.view")).to_have_attribute("aria-busy", "true")
        expect(app.page.get_by_role("button", name="Delete")).to_be_disabled()
        expect(app.page.get_by_role("button", name="Mark unread")).to_be_disabled()
        assert len(held) == 1
        held[0].continue_()
        expect(app.page.locator("h1.subject")).to_have_text("Keep")  # the next, older one
        assert list(app.api_read()) == ["Keep"]


def test_unknown_pages_answer_a_404_page_with_a_way_back(browser: Any) -> None:
    with running(browser) as app:
        for path, says in [
            ("/view/doesnotexist", "No message has the ID 'doesnotexist'"),
            ("/no/such/page", "There is no page at /no/such/page"),
        ]:
            response = app.open(path)
            assert response.status == 404
            assert response.headers["content-type"].startswith("text/html")
            expect(app.page).to_have_title("Not found · mailtrap")
            expect(app.page.get_by_role("heading", level=1)).to_have_text("Not found")
            expect(app.page.locator("main")).to_contain_text(says)
        app.page.get_by_role("link", name="Back to the inbox").click()
        expect(app.page).to_have_url(app.web.url + "/")
        expect(app.page.locator("#empty")).to_be_visible()
        # What programs read stays JSON.
        for path in ("/api/v1/nope", "/api/v1/message/doesnotexist", "/view/doesnotexist.html"):
            answer = app.page.request.get(app.web.url + path)
            assert answer.status == 404
            assert answer.headers["content-type"] == "application/json"


def test_a_phone_shows_every_preview_width_and_the_tabs_without_overflow(browser: Any) -> None:
    with running(browser, viewport={"width": 390, "height": 844}) as app:
        wide = "<table width='700'><tr><td id='wide'>newsletter</td></tr></table>"
        msg = mail("Phone", html=wide)
        msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="a.pdf")
        msg.add_attachment(b"a,b\n", maintype="text", subtype="csv", filename="b.csv")
        app.send(msg)
        app.open()
        app.read("Phone")
        expect(app.page.frame_locator("#html-frame").locator("#wide")).to_be_visible()
        frame = app.page.locator("#html-frame")
        for preset, width in (("Tablet", 768), ("Phone", 375), ("Tablet", 768)):
            app.page.get_by_role("button", name=preset).click()
            expect(frame).to_have_js_property("offsetWidth", width)
            assert app.page.evaluate(NO_SIDEWAYS_SCROLL), preset
        attachments = app.page.get_by_role("tab", name="Attachments (2)")
        text = app.page.get_by_role("tab", name="Text")
        box, one_line = attachments.bounding_box(), text.bounding_box()
        assert box is not None
        assert one_line is not None
        assert box["height"] == one_line["height"]  # one line, as a one-word tab
        # Nine tabs (part B2 added "HTML source", issue 18 the checks) are wider than a phone:
        # the strip scrolls sideways, not the page, and a tab chosen by keyboard is scrolled
        # into view whole.
        text.focus()
        app.page.keyboard.press("End")
        last = app.page.get_by_role("tab", name="Accessibility")
        expect(last).to_be_focused()
        expect(last).to_have_attribute("aria-selected", "true")
        box = last.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390  # all of it on screen
        expect(app.page.locator("#panel-a11y-check .check-result")).not_to_be_empty()
        assert app.page.evaluate(NO_SIDEWAYS_SCROLL)
        attachments.click()
        expect(app.page.locator("#panel-attachments")).to_contain_text("b.csv")
        assert app.page.evaluate(NO_SIDEWAYS_SCROLL)
