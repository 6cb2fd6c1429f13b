"""The inbox's sidebar, and what every page keeps current live: the unread count in the title
and on the favicon, new mail told to screen readers and, when asked, as notifications (issue 16,
part B). In Chromium, in time zones away from UTC."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browserapp import App, mail, running
from chromium import require_chromium

playwright_api = pytest.importorskip("playwright.sync_api")
require_chromium()  # skips this module where there is none (fails under CI)

expect = playwright_api.expect


def live(app: App) -> None:
    """Wait until the page's event socket is open (its first stats have arrived)."""
    expect(app.page.locator("#counts")).not_to_have_text("")


def size(n: int) -> str:
    """A size as the pages write it."""
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} kB"


def test_the_sidebar_counts_filters_and_acts_on_the_list(browser: Any) -> None:
    with running(browser, timezone_id="America/Los_Angeles") as app:
        app.send_many(
            [
                mail("Invoice 1", X_Tags="billing"),
                mail("Invoice 2", X_Tags="billing, two words"),
                mail("Hello"),
            ]
        )
        app.open()
        live(app)
        side = app.page.get_by_role("complementary", name="Mailbox")
        inbox = side.get_by_role("link", name="Inbox")
        unread = side.get_by_role("link", name="Unread")
        tags = side.get_by_role("list", name="Tags").get_by_role("listitem")
        expect(inbox).to_have_text("Inbox 3")
        expect(inbox).to_have_attribute("aria-current", "page")
        expect(unread).to_have_text("Unread 3")
        expect(tags).to_have_text(["billing 2", "two words 1"])
        about = side.get_by_role("region", name="About").locator("dd")
        info = app.page.request.get(app.web.url + "/api/v1/info").json()
        smtp = f"{app.smtp.host}:{app.smtp.port}"
        expect(about).to_have_text([info["Version"], size(info["DatabaseSize"]), smtp])
        expect(app.page.get_by_role("button", name="Mailbox")).to_be_hidden()  # a phone's
        # Live: the counts at once, the tags and the database's size read again.
        app.send(mail("News", X_Tags="newsletter"))
        expect(inbox).to_have_text("Inbox 4")
        expect(unread).to_have_text("Unread 4")
        expect(tags).to_have_text(["billing 2", "newsletter 1", "two words 1"])
        grown = app.page.request.get(app.web.url + "/api/v1/info").json()["DatabaseSize"]
        expect(about.nth(1)).to_have_text(size(grown))
        # A tag is a search (quoted where it has a space) with its own title and heading.
        side.get_by_role("link", name="two words").click()
        expect(app.page).to_have_url(app.web.url + "/?q=tag%3A%22two+words%22")
        expect(app.page).to_have_title('(4) tag:"two words" · Search · mailtrap')
        expect(app.page.get_by_role("heading", level=1)).to_have_text('Search: tag:"two words"')
        expect(side.get_by_role("link", name="two words")).to_have_attribute("aria-current", "page")
        expect(app.page.locator("#messages .subject")).to_have_text(["Invoice 2"])
        app.settle()
        # On a search, "all" is its matches, as for part A's Delete all.
        mark_all = side.get_by_role("button", name="Mark all read")
        mark_all.click()
        expect(unread).to_have_text("Unread 3")
        expect(mark_all).to_be_disabled()  # none of the matches is unread now
        read = app.api_read()
        assert [s for s in read if read[s]] == ["Invoice 2"]
        inbox.click()
        expect(app.page).to_have_url(app.web.url + "/")
        app.settle()
        expect(mark_all).to_be_enabled()
        mark_all.click()
        expect(unread).to_have_text("Unread 0")
        expect(mark_all).to_be_disabled()
        expect(app.page).to_have_title("Inbox · mailtrap")
        assert set(app.api_read().values()) == {True}
        # Delete all: part A's confirmation, then the counts and the tags follow.
        app.confirm = True
        side.get_by_role("button", name="Delete all").click()
        expect(app.page.locator("#empty")).to_contain_text("No mail yet.")
        assert app.dialogs == ["Delete all 4 messages?"]
        expect(inbox).to_have_text("Inbox 0")
        expect(tags).to_have_count(0)
        expect(side.get_by_text("No tags yet.")).to_be_visible()


def test_a_search_counts_its_own_changes_without_the_event_socket(browser: Any) -> None:
    """Seen in CI: "Mark all read" on a search clicked before the page's first event arrived
    stayed enabled, as the search's counts waited on an event that described the mailbox
    before the change. The page now reads them again itself; here the socket never speaks."""
    with running(browser) as app:
        app.send_many([mail("Invoice 1", X_Tags="billing"), mail("Hello")])
        app.page.route_web_socket("**/api/events", lambda ws: None)  # open, and silent
        app.open("/?q=tag%3Abilling")
        mark_all = app.page.get_by_role("button", name="Mark all read")
        rows = app.page.locator("#messages li")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_class(re.compile(r"\bunread\b"))
        mark_all.click()
        expect(mark_all).to_be_disabled()
        expect(rows.first).not_to_have_class(re.compile(r"\bunread\b"))
        assert app.api_read() == {"Invoice 1": True, "Hello": False}


def no_overflow(app: App) -> None:
    width = app.page.evaluate("document.documentElement.scrollWidth")
    assert width <= app.page.viewport_size["width"]


def test_on_a_phone_the_sidebar_folds_away(browser: Any) -> None:
    phone = {"width": 390, "height": 844}
    with running(browser, viewport=phone, timezone_id="Asia/Tokyo") as app:
        everyone = ", ".join(f"person{n}@example.com" for n in range(8))
        long_tag = "a-rather-long-tag-name-for-a-phone"
        crowded = mail("A long subject " * 8, X_Tags=f"{long_tag}, b, c, d, e")
        crowded.replace_header("To", everyone)
        app.send(crowded)
        app.open()
        live(app)
        side, toggle = app.page.locator("#sidebar"), app.page.get_by_role("button", name="Mailbox")
        expect(side).to_be_hidden()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        no_overflow(app)
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(side.get_by_role("link", name=long_tag)).to_be_visible()
        expect(side.get_by_role("button", name="Delete all")).to_be_visible()
        no_overflow(app)
        toggle.click()
        expect(side).to_be_hidden()


def badge_pixel(app: App, src: str) -> list[int]:
    """The colour of the favicon `src` at a point inside the badge, left of its number."""
    pixel: list[int] = app.page.evaluate(
        """async (src) => {
            const image = new Image();
            image.src = src;
            await image.decode();
            const canvas = document.createElement("canvas");
            canvas.width = canvas.height = 64;
            const g = canvas.getContext("2d");
            g.drawImage(image, 0, 0);
            return [...g.getImageData(30, 19, 1, 1).data];
        }""",
        src,
    )
    return pixel


def test_every_page_counts_unread_in_its_title_and_favicon(browser: Any) -> None:
    with running(browser, timezone_id="Europe/Berlin") as app:
        svg = app.page.request.get(app.web.url + "/static/favicon.svg")
        assert svg.headers["content-type"] == "image/svg+xml"
        app.send_many([mail("First"), mail("Second", X_Tags="x")])
        app.open()
        live(app)
        icon = app.page.locator("link[rel=icon]")
        expect(app.page).to_have_title("(2) Inbox · mailtrap")
        expect(icon).to_have_attribute("data-count", "2")
        red, green, blue, _ = badge_pixel(app, str(icon.get_attribute("href")))
        assert (red > 180, green < 90, blue < 90) == (True, True, True)
        app.send(mail("Third"))
        expect(app.page).to_have_url(app.web.url + "/")
        expect(icon).to_have_attribute("data-count", "3")
        expect(icon).to_have_attribute("href", re.compile(r"^data:image/png;base64,"))
        app.open("/?q=tag:x")
        expect(app.page).to_have_title("(3) tag:x · Search · mailtrap")
        # The message page: drawn with 3 unread, then 2 once opening it has marked it read.
        first = next(m for m in app.store.list().messages if m.subject == "First")
        app.open(f"/view/{first.id}")
        expect(app.page).to_have_title("(2) First · mailtrap")
        expect(icon).to_have_attribute("data-count", "2")
        app.open("/no/such/page")
        expect(app.page).to_have_title("(2) Not found · mailtrap")
        live(app)
        app.page.request.put(app.web.url + "/api/v1/messages", data={"Read": True})
        expect(app.page).to_have_title("Not found · mailtrap")
        expect(icon).to_have_attribute("href", re.compile(r"/static/favicon\.svg$"))
        expect(app.page.locator("link[rel=icon][data-count]")).to_have_count(0)


# Records every Notification made and every permission asked for, then makes it for real.
RECORD_NOTIFICATIONS = """
window.made = [];
window.asked = 0;
const Real = window.Notification;
class Recorded extends Real {
  constructor(title, options) {
    window.made.push([title, (options || {}).body]);
    super(title, options);
  }
}
Recorded.requestPermission = (...args) => {
  window.asked += 1;
  return Real.requestPermission(...args);
};
window.Notification = Recorded;
"""


def test_new_mail_is_told_to_screen_readers_and_notified_when_asked(browser: Any) -> None:
    options: dict[str, Any] = {"permissions": ["notifications"], "timezone_id": "America/Sao_Paulo"}
    with running(browser, **options) as app:
        app.page.add_init_script(RECORD_NOTIFICATIONS)
        app.open()
        live(app)
        told = app.page.locator("#announce")
        expect(told).to_have_attribute("aria-live", "polite")

        def made() -> list[Any]:
            """The notifications this page made, and the times it asked to make them."""
            answer: list[Any] = app.page.evaluate("[window.made, window.asked]")
            return answer

        app.send(mail("Hello <b>there</b>"))
        expect(told).to_have_text("New mail from App: Hello <b>there</b>")
        assert made() == [[], 0]  # not asked for: no notification, and no permission prompt
        button = app.page.get_by_role("button", name="Notify me of new mail")
        expect(button).to_have_attribute("aria-pressed", "false")
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
        app.send(mail("Your invoice"))
        expect(told).to_have_text("New mail from App: Your invoice")
        assert made() == [[["New mail from App", "Your invoice"]], 1]
        # Remembered: a message page notifies too.
        app.page.locator("a.row").first.click()
        expect(app.page.locator("h1")).to_have_text("Your invoice")
        live(app)
        app.send(mail("Second invoice"))
        expect(told).to_have_text("New mail from App: Second invoice")
        assert made() == [[["New mail from App", "Second invoice"]], 0]
        # And turned off again.
        app.open()
        expect(button).to_have_attribute("aria-pressed", "true")
        button.click()
        expect(button).to_have_attribute("aria-pressed", "false")
        live(app)
        app.send(mail("Quiet"))
        expect(told).to_have_text("New mail from App: Quiet")
        assert made() == [[], 0]
