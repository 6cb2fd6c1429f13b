"""The inbox list in Chromium: the To column, thousands separators, page sizes, range
selection, tags as searches, and what a screen reader and a right-to-left reader need (issue
16, part B). In time zones away from UTC."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browserapp import App, mail, running
from chromium import require_chromium
from mailfactory import build_mail, envelope_for

playwright_api = pytest.importorskip("playwright.sync_api")
require_chromium()  # skips this module where there is none (fails under CI)

expect = playwright_api.expect


def live(app: App) -> None:
    """Wait until the page's event socket is open (its first stats have arrived)."""
    expect(app.page.locator("#counts")).not_to_have_text("")


def fill(app: App, n: int) -> None:
    """`n` messages straight into the store ("Bulk 0000" oldest), faster than over SMTP."""
    pending = []
    for i in range(n):
        raw = build_mail(subject=f"Bulk {i:04}", to="ann@example.com")
        pending.append(app.store.submit(raw, envelope_for(raw)))
    for future in pending:
        future.result()


def test_recipients_thousands_page_sizes_and_range_selection(browser: Any) -> None:
    with running(browser, timezone_id="Australia/Sydney") as app:
        fill(app, 1232)
        crowded = mail("To three")
        crowded.replace_header("To", "Ann <ann@example.com>, bob@example.com, Cy <cy@example.com>")
        app.send_many([crowded, mail("To one")])
        app.open()
        live(app)
        rows, count = app.page.locator("#messages li"), app.page.locator("#range")
        expect(count).to_have_text("1\u201350 of 1,234")
        expect(app.page.get_by_role("link", name="Inbox")).to_have_text("Inbox 1,234")
        expect(app.page).to_have_title("(1,234) Inbox · mailtrap")
        to = rows.locator(".to")
        expect(to.nth(0)).to_have_text("To: bob@example.com")
        expect(to.nth(1)).to_have_text("To: Ann +2")
        expect(to.nth(1).locator(".more")).to_have_attribute(
            "title", 'bob@example.com, "Cy" <cy@example.com>'
        )
        app.send(crowded)  # a live row is drawn as the server draws one
        expect(count).to_have_text("1\u201350 of 1,235")
        expect(to.first).to_have_text("To: Ann +2")
        expect(to.first.locator(".more")).to_have_attribute("title", re.compile(r"^bob@"))
        expect(rows).to_have_count(50)
        # Page sizes: in the URL, carried by the pager and into a message and back.
        app.page.get_by_label("Per page").select_option("100")
        expect(app.page).to_have_url(app.web.url + "/?limit=100")
        expect(rows).to_have_count(100)
        app.page.get_by_role("link", name="Older").click()
        expect(app.page).to_have_url(app.web.url + "/?start=100&limit=100")
        expect(count).to_have_text("101\u2013200 of 1,235")
        rows.last.locator("a.row").click()
        expect(app.page.locator("#next")).to_have_attribute(
            "href", re.compile(r"\?start=200&limit=100$")
        )
        app.page.get_by_role("link", name="← Inbox").click()  # to the page, at the row
        expect(app.page).to_have_url(re.compile(r"/\?start=100&limit=100#m-[\w-]+$"))
        app.settle()
        app.page.get_by_label("Per page").select_option("25")  # the page of the first row
        expect(app.page).to_have_url(app.web.url + "/?start=100&limit=25")
        expect(count).to_have_text("101\u2013125 of 1,235")
        # The live rows are capped at the page size.
        app.open("/?limit=25")
        live(app)
        app.send(mail("Newest"))
        expect(rows.first.locator(".subject")).to_have_text("Newest")
        expect(count).to_have_text("1\u201325 of 1,236")
        expect(rows).to_have_count(25)
        # Shift-click picks the range from the last box clicked, as that box is.
        picks = rows.locator(".pick")
        picks.nth(2).click()
        picks.nth(6).click(modifiers=["Shift"])
        assert [i for i in range(25) if picks.nth(i).is_checked()] == [2, 3, 4, 5, 6]
        picks.nth(4).click(modifiers=["Shift"])  # unchecks 4..6, the range from 6
        checked = [i for i in range(25) if picks.nth(i).is_checked()]
        assert checked == [2, 3]
        expect(app.page.get_by_role("button", name="Mark read")).to_be_enabled()
        expect(app.page.get_by_label("Select all")).to_have_js_property("indeterminate", True)


def test_list_pages_read_well_with_a_screen_reader_and_right_to_left(browser: Any) -> None:
    with running(browser, timezone_id="Asia/Jerusalem") as app:
        app.send_many(
            [
                mail("Plain"),
                mail("Tagged", X_Tags="alpha, two words"),
                mail("שלום עולם", text="בוקר טוב לכולם"),
            ]
        )
        plain = next(m for m in app.store.list().messages if m.subject == "Plain")
        app.store.mark_read([plain.id])
        app.open()
        live(app)
        # The skip link is the first stop, and lands on the list.
        app.page.keyboard.press("Tab")
        skip = app.page.get_by_role("link", name="Skip to messages")
        expect(skip).to_be_focused()
        app.page.keyboard.press("Enter")
        expect(app.page.locator("#messages")).to_be_focused()
        app.page.keyboard.press("Tab")
        expect(app.page.get_by_role("checkbox", name="Select: שלום עולם")).to_be_focused()
        expect(app.page.locator("h1")).to_have_count(1)
        expect(app.page.get_by_role("heading", level=1)).to_have_text("Inbox")
        # Unread is said in words, not in bold alone; each box names its message.
        rows = app.page.locator("#messages li")
        for subject, state in (("Plain", ""), ("Tagged", "Unread"), ("שלום עולם", "Unread")):
            row = rows.filter(has_text=subject)
            expect(row.locator(".state")).to_have_text(state)
            expect(row.get_by_role("checkbox")).to_have_accessible_name(f"Select: {subject}")
        expect(rows.filter(has_text="Tagged").locator("a.row")).to_have_accessible_name(
            re.compile(r"^Unread App To: bob@example\.com Tagged")
        )
        # Right-to-left subjects and snippets sit right; the others left.
        hebrew = rows.filter(has_text="שלום")
        for part in ("subject", "snippet"):
            expect(hebrew.locator(f".{part}")).to_have_css("direction", "rtl")
            expect(rows.nth(2).locator(f".{part}")).to_have_css("direction", "ltr")  # Plain
        # The same for a row added live; and read state changes its words.
        app.send(mail("مرحبا بالعالم", text="أهلا وسهلا"))
        arabic = rows.filter(has_text="مرحبا")
        expect(arabic.locator(".snippet")).to_have_css("direction", "rtl")
        expect(arabic.locator(".state")).to_have_text("Unread")
        expect(arabic.get_by_role("checkbox")).to_have_accessible_name("Select: مرحبا بالعالم")
        arabic.get_by_role("checkbox").check()
        app.page.get_by_role("button", name="Mark read").click()
        expect(arabic.locator(".state")).to_have_text("")
        # A row's tags are searches of their own.
        rows.filter(has_text="Tagged").get_by_role("link", name="two words").click()
        expect(app.page).to_have_url(app.web.url + "/?q=tag%3A%22two+words%22")
        expect(rows.locator(".subject")).to_have_text(["Tagged"])
        expect(app.page.locator("h1")).to_have_count(1)
        expect(app.page.get_by_role("heading", level=1)).to_have_text('Search: tag:"two words"')
        rows.get_by_role("link", name="alpha").click()
        expect(app.page).to_have_url(app.web.url + "/?q=tag%3Aalpha")
        # One h1 on a message's page and on the 404 page too.
        rows.locator("a.row").click()
        expect(app.page.locator("h1")).to_have_count(1)
        app.open("/no/such/page")
        expect(app.page.locator("h1")).to_have_count(1)
