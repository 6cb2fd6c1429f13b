"""The message page in Chromium: links in mail, the list it was opened from, keys, large mail,
feedback while acting, 404 pages and phone width (issue 16, part A)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browserapp import mail, running
from chromium import require_chromium
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
            assert sorted(sandbox.split()) == ["allow-popups", "allow-popups-to-escape-sandbox"]
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
