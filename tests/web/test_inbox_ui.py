"""The inbox list in Chromium: delete all on a search, times in the browser's zone, the count
line, emoji searches and feedback while acting (issue 16, part A)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from browserapp import App, mail, running
from chromium import require_chromium

playwright_api = pytest.importorskip("playwright.sync_api")
require_chromium()  # skips this module where there is none (fails under CI)

expect = playwright_api.expect


def live(app: App) -> None:
    """Wait until the page's event socket is open (its first stats have arrived). Not with
    wait_for_function: its polling evaluates a string, which the page's CSP refuses."""
    expect(app.page.locator("#counts")).not_to_have_text("")


def test_delete_all_on_a_search_deletes_only_its_matches(browser: Any) -> None:
    with running(browser) as app:
        news = [mail(f"News {n}", X_Tags="newsletter") for n in range(3)]
        app.send_many([*news, mail("Keep 1"), mail("Keep 2")])
        app.open("/?q=tag:newsletter")
        expect(app.page.locator("#messages li")).to_have_count(3)
        app.confirm = True
        app.page.get_by_role("button", name="Delete all").click()
        # The empty-search line is in the page from the start, hidden: wait for it to show.
        expect(app.page.locator("#messages li")).to_have_count(0)
        expect(app.page.locator("#empty")).to_be_visible()
        expect(app.page.locator("#empty")).to_have_text("No message matches this search.")
        assert app.dialogs == ["Delete the 3 messages matching tag:newsletter?"]
        assert sorted(m.subject for m in app.store.list().messages) == ["Keep 1", "Keep 2"]
        app.open()
        app.confirm = False
        with app.page.expect_event("dialog") as asked:
            app.page.get_by_role("button", name="Delete all").click()
        assert asked.value.message == "Delete all 2 messages?"
        assert app.store.count() == 2  # declined: nothing sent


# Chromium's en-GB short months (CLDR's: "Sept", where strftime's %b says "Sep").
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"]


def zone_offset(when: datetime) -> str:
    """`when`'s UTC offset as Chromium's en-GB long time style writes it: GMT-5, GMT+5:30."""
    offset = when.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    return f"GMT{sign}{minutes // 60}" + (f":{minutes % 60:02}" if minutes % 60 else "")


def hover(when: datetime) -> str:
    """The full date, as a `<time>`'s title: Thursday, 5 March 2026 at 08:37:09 GMT+5:30."""
    return f"{when:%A}, {when.day} {when:%B %Y} at {when:%H:%M:%S} {zone_offset(when)}"


def brief(created: datetime, now: datetime) -> str:
    """What a row shows for mail `created` at `now` (both in the reader's zone)."""
    day_month = f"{created.day} {MONTHS[created.month - 1]}"
    if now - created < timedelta(hours=1):
        return f"{int((now - created).total_seconds()) // 60} min ago"
    if created.date() == now.date():
        return f"{created:%H:%M}"
    return day_month if created.year == now.year else f"{day_month} {created.year}"


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata"])
def test_every_time_is_in_the_browsers_zone(browser: Any, zone: str) -> None:
    """Rows drawn by the server and rows added live alike; the list and the message page."""
    with running(browser, timezone_id=zone, locale="en-GB") as app:
        app.send(mail("Drawn by the server"))
        app.open()
        live(app)
        app.send(mail("Added live"))
        rows = app.page.locator("#messages li")
        expect(rows).to_have_count(2)
        here = ZoneInfo(zone)
        created = {m.subject: m.created.astimezone(here) for m in app.store.list().messages}
        for subject, when in created.items():
            time = rows.filter(has_text=subject).locator("time")
            expect(time).to_have_text("just now")
            expect(time).to_have_attribute("title", hover(when))
        # Later on: minutes ago, the time of day, then the date; in the reader's zone.
        first = created["Drawn by the server"]
        time = rows.filter(has_text="Drawn by the server").locator("time")
        for later in (timedelta(minutes=5), timedelta(hours=3), timedelta(days=40)):
            app.page.clock.set_fixed_time(first + later)
            app.page.reload()
            expect(time).to_have_text(brief(first, first + later))
        app.page.clock.set_fixed_time(first + timedelta(days=400))
        app.page.reload()
        expect(time).to_have_text(f"{first.day} {MONTHS[first.month - 1]} {first.year}")
        app.page.locator("a.row", has_text="Drawn by the server").click()
        date = app.page.locator(".addresses time")
        expect(date).to_have_text(f"{first.day} {MONTHS[first.month - 1]} {first:%Y, %H:%M:%S}")
        expect(date).to_have_attribute("title", hover(first))


def test_the_count_line_stays_exact(browser: Any) -> None:
    with running(browser) as app:
        app.send_many([mail(f"Bulk {n:02}") for n in range(52)])  # the page size is 50
        app.open()
        live(app)
        rows, count = app.page.locator("#messages li"), app.page.locator("#range")
        expect(count).to_have_text("1\u201350 of 52")
        app.send_many([mail(f"Live {n}") for n in range(3)])
        expect(rows.first.locator(".subject")).to_have_text("Live 2")
        expect(count).to_have_text("1\u201350 of 55")
        expect(rows).to_have_count(50)  # the oldest rows made way
        expect(rows.last.locator(".subject")).to_have_text("Bulk 05")
        # Our own delete: the page fills up again from the next one.
        for subject in ("Live 2", "Live 1"):
            rows.filter(has_text=subject).locator(".pick").check()
        app.page.get_by_role("button", name="Delete", exact=True).click()
        expect(count).to_have_text("1\u201350 of 53")
        expect(rows.last.locator(".subject")).to_have_text("Bulk 03")
        expect(rows).to_have_count(50)
        # Someone else's: the row goes and the count follows.
        gone = app.store.list().messages[5]
        app.page.request.delete(app.web.url + "/api/v1/messages", data={"IDs": [gone.id]})
        expect(rows).to_have_count(49)
        expect(count).to_have_text("1\u201349 of 52")
        # A search's count follows mail that matches it, though its rows stay put.
        app.open("/?q=subject:live")
        live(app)
        expect(count).to_have_text("1\u20131 of 1")
        app.send(mail("Live 3"))
        expect(count).to_have_text("1\u20131 of 2")
        expect(rows).to_have_count(1)


def test_an_emoji_search_shows_what_the_server_answers(browser: Any) -> None:
    with running(browser) as app:
        app.send_many([mail("Party 😀 tonight"), mail("Plain words"), mail("Mixed 😀🎉")])
        api = app.web.url + "/api/v1/search"
        app.open()
        search, rows = app.page.get_by_role("searchbox"), app.page.locator("#messages li")
        for query in ("😀", "🙈", "is:oops"):
            search.fill(query)
            search.press("Enter")
            expect(search).to_have_value(query)
            answer = app.page.request.get(api, params={"query": query})
            if answer.ok:
                matches = [m["Subject"] for m in answer.json()["messages"]]
                expect(rows.locator(".subject")).to_have_text(matches)
                if not matches:
                    expect(app.page.locator("#empty")).to_have_text(
                        "No message matches this search."
                    )
            else:  # the server's reason, and no empty state claiming there are no matches
                assert answer.status == 400
                expect(app.page.get_by_role("alert")).to_have_text(answer.json()["detail"])
                expect(app.page.locator("#empty")).to_be_hidden()
        assert [
            app.page.request.get(api, params={"query": q}).json()["messages_count"]
            for q in ("😀", "🙈")
        ] == [2, 0]


def test_bulk_actions_show_progress_and_disable_the_buttons(browser: Any) -> None:
    with running(browser) as app:
        app.send_many([mail(s) for s in ("Alpha", "Bravo", "Charlie")])
        app.open()
        held: list[Any] = []

        def hold(route: Any) -> None:
            if route.request.method in ("DELETE", "PUT"):
                held.append(route)
            else:
                route.continue_()

        app.page.route("**/api/v1/messages", hold)
        rows = app.page.locator("#messages li")
        for subject in ("Alpha", "Bravo"):
            rows.filter(has_text=subject).locator(".pick").check()
        busy, toolbar = (
            app.page.get_by_role("status"),
            app.page.get_by_role("region", name="Actions"),
        )
        for button, says in (("Mark read", "Marking read…"), ("Delete", "Deleting 2 messages…")):
            toolbar.get_by_role("button", name=button, exact=True).click()
            expect(busy).to_have_text(says)
            expect(app.page.locator("#messages")).to_have_attribute("aria-busy", "true")
            for name in ("Mark read", "Mark unread", "Delete"):
                expect(toolbar.get_by_role("button", name=name, exact=True)).to_be_disabled()
            for name in ("Mark all read", "Delete all"):  # the sidebar's
                expect(app.page.get_by_role("button", name=name)).to_be_disabled()
            assert len(held) == 1
            held.pop().continue_()
            expect(busy).to_be_hidden()
            expect(app.page.locator("#messages")).not_to_have_attribute("aria-busy", "true")
        expect(rows).to_have_count(1)
        expect(app.page.get_by_role("button", name="Delete all")).to_be_enabled()
