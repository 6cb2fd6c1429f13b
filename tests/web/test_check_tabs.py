"""The message page's check tabs in Chromium (issue 18): Link check, HTML check, Accessibility
and Spam. Each loads when first shown (the link check only on its button), with a spinner,
and shows what the user came for: the warnings and their clients, the accessibility findings,
SpamAssassin's verdict, each link's status."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browserapp import App, mail, running
from chromium import require_chromium, wait_until
from linkserver import LinkSite
from spamd import GTUBE, Spamd, running_spamd

playwright_api = pytest.importorskip("playwright.sync_api")
require_chromium()  # skips this module where there is none (fails under CI)

expect = playwright_api.expect
VIDEO = '<html lang="en"><body><p>Watch</p><video src="movie.mp4"></video></body></html>'

# Records what a panel shows while it is busy: aria-busy and the status line's text, each
# time either changes. Run over DevTools (page.evaluate), which the page's CSP does not govern.
WATCH_BUSY = """key => {
  const panel = document.getElementById(`panel-${key}`);
  window.seen = [];
  new MutationObserver(() => {
    const status = panel.querySelector(".check-status");
    window.seen.push([panel.getAttribute("aria-busy"), status.textContent,
                      Boolean(status.querySelector(".spinner"))]);
  }).observe(panel, { attributes: true, childList: true, subtree: true, characterData: true });
}"""


def check_requests(app: App, name: str) -> list[str]:
    return [url for url in app.reached if f"/{name}" in url]


def loaded(app: App, key: str) -> None:
    wait_until(app.page, "k => document.getElementById(`panel-${k}`).dataset.state", key)
    expect(app.page.locator(f"#panel-{key}")).to_have_attribute("data-state", "loaded")


def tab_names(app: App) -> list[str]:
    return [name.strip() for name in app.page.get_by_role("tab").all_inner_texts()]


def test_the_html_check_lists_a_video_warning_and_filters_by_client(browser: Any) -> None:
    with running(browser) as app:
        app.send(mail("Video", html=VIDEO))
        app.open()
        app.read("Video")
        api = app.page.request.get(app.web.url + "/api/v1/message/latest/html-check").json()
        app.reached.clear()
        assert "HTML check" in tab_names(app)
        app.page.wait_for_timeout(300)
        assert check_requests(app, "html-check") == []  # not before its tab is opened
        app.page.evaluate(WATCH_BUSY, "html-check")
        app.page.get_by_role("tab", name="HTML check").click()
        loaded(app, "html-check")
        assert len(check_requests(app, "html-check")) == 1
        seen = app.page.evaluate("window.seen")
        assert ["true", "Checking the HTML…", True] in seen  # the spinner, while it loaded
        panel = app.page.locator("#panel-html-check")
        expect(panel).not_to_have_attribute("aria-busy", "true")
        expect(panel.get_by_role("status")).to_contain_text("HTML check:")

        total = f"{round(api['Total']['Supported'], 2):g}%"
        expect(panel.locator(".check-summary .score strong")).to_have_text(total)
        video = next(w for w in api["Warnings"] if w["Slug"] == "html-video")
        unsupported = [r for r in video["Results"] if r["Support"] == "no"]
        outlook = [r for r in unsupported if r["Family"] == "outlook"]
        assert outlook  # caniemail: Outlook plays no video
        warning = panel.locator("details.warning", has_text="<video> element")
        warning.locator("summary").click()
        expect(warning).to_contain_text("Found 1 time in the HTML.")
        clients = warning.locator(".clients.no li")
        expect(warning.locator(".clients.no h3")).to_have_text(
            f"Not supported ({len(unsupported)})"
        )
        expect(clients.filter(has_text="Outlook Windows")).not_to_have_count(0)

        # Outlook off: its clients leave the list, and the warning is scored without them.
        panel.get_by_label("Outlook", exact=True).uncheck()
        expect(clients).to_have_count(len(unsupported) - len(outlook))
        expect(clients.filter(has_text="Outlook")).to_have_count(0)
        expect(warning).to_be_visible()  # still open, redrawn
        # None, then Outlook alone: only Outlook's clients are left.
        panel.get_by_role("button", name="None").click()
        expect(panel).to_contain_text("No feature of this mail was tested in the clients chosen.")
        panel.get_by_label("Outlook", exact=True).check()
        expect(panel.locator(".families summary")).to_contain_text("(1 of ")
        expect(clients).to_have_count(len(outlook))
        # The choice is kept for the next message, and All brings every client back.
        app.page.reload()
        app.page.wait_for_load_state("domcontentloaded")
        loaded(app, "html-check")  # the #html-check in the URL opened the tab again
        expect(panel.get_by_label("Gmail", exact=True)).not_to_be_checked()
        panel.get_by_role("button", name="All").click()
        expect(panel.locator(".check-summary .score strong")).to_have_text(total)


def test_the_accessibility_tab_lists_an_image_without_alt(browser: Any) -> None:
    html = (
        '<html lang="en"><body><h1>Sale</h1><p>Everything half price this week.</p>'
        '<p><img src="banner.png" width="600"></p></body></html>'
    )
    with running(browser) as app:
        app.send(mail("Banner", html=html))
        app.open()
        app.read("Banner")
        api = app.page.request.get(app.web.url + "/api/v1/message/latest/a11y-check").json()
        assert [f["Rule"] for f in api["Findings"]] == ["image-alt"]
        # Keyboard: End, from the first tab, reaches Accessibility, the last tab here.
        app.page.get_by_role("tab").first.focus()
        app.page.keyboard.press("End")
        expect(app.page.get_by_role("tab", name="Accessibility")).to_be_focused()
        loaded(app, "a11y-check")
        panel = app.page.locator("#panel-a11y-check")
        assert app.page.url.endswith("#a11y-check")
        expect(panel.get_by_role("heading", name="Errors (1)")).to_be_visible()
        finding = panel.locator("details", has_text="image-alt")
        expect(finding.locator("summary")).to_contain_text("Images without alternative text")
        expect(finding.locator(".selector")).to_contain_text("img")
        expect(finding.locator(".markup")).to_have_text('<img src="banner.png" width="600">')
        nodes = api["Total"]["Nodes"]
        expect(panel.get_by_role("status")).to_have_text(
            f"Accessibility: 1 error and 0 warnings in {nodes} elements."
        )


def test_a_failed_check_says_why_and_is_tried_again(browser: Any) -> None:
    with running(browser) as app:
        app.send(mail("Gone soon", html=VIDEO))
        app.open()
        app.read("Gone soon")
        id = app.page.locator(".view").get_attribute("data-id")
        app.page.request.delete(app.web.url + "/api/v1/messages", data={"IDs": [id]})
        app.page.get_by_role("tab", name="HTML check").click()
        status = app.page.locator("#panel-html-check .check-status")
        expect(status).to_contain_text("The HTML check failed: 404: ")
        expect(status).to_contain_text(str(id))
        expect(status).to_have_class("check-status failed")
        expect(app.page.locator("#panel-html-check")).not_to_have_attribute("aria-busy", "true")
        app.page.get_by_role("tab", name="Text").click()
        app.reached.clear()
        app.page.get_by_role("tab", name="HTML check").click()
        wait_until(app.page, "() => document.querySelector('#panel-html-check .failed')")
        expect(status).to_contain_text("404")
        assert len(check_requests(app, "html-check")) == 1  # asked again


def test_a_text_mail_has_the_link_check_only(browser: Any) -> None:
    with running(browser) as app:
        app.send(mail("Plain"))
        app.open()
        app.read("Plain")
        names = tab_names(app)
        assert names[-1] == "Link check"
        assert not {"HTML check", "Accessibility", "Spam"} & set(names)


def test_the_link_check_runs_only_when_asked(browser: Any) -> None:
    with LinkSite() as site:
        html = (
            f'<a href="{site.url("/ok")}">ok</a> <a href="{site.url("/missing")}">gone</a> '
            f'<a href="{site.url("/chain/1")}">moved</a>'
        )
        with running(browser, server={"allow_internal_http_requests": True}) as app:
            app.send(mail("Links", html=html))
            app.open("/view/latest#link-check")
            app.page.wait_for_load_state("domcontentloaded")
            panel = app.page.locator("#panel-link-check")
            expect(panel).to_be_visible()
            app.page.wait_for_timeout(300)
            assert site.requests == []
            assert check_requests(app, "link-check") == []
            app.page.evaluate(WATCH_BUSY, "link-check")
            panel.get_by_role("button", name="Check links").click()
            loaded(app, "link-check")
            assert ["true", "Checking the links…", True] in app.page.evaluate("window.seen")
            rows = panel.locator("tbody tr")
            expect(rows).to_have_count(3)
            expect(rows.filter(has_text="/ok")).to_contain_text("200 OK")
            expect(rows.filter(has_text="/missing")).to_contain_text("404 Not Found")
            expect(rows.filter(has_text="/chain/1")).to_contain_text("302 Found")
            expect(panel.get_by_role("status")).to_have_text("Checked 3 links: 1 error.")
            link = rows.filter(has_text="/ok").get_by_role("link")
            expect(link).to_have_attribute("href", site.url("/ok"))
            expect(link).to_have_attribute("target", "_blank")
            # Again, following redirects: the chain ends in a 200.
            panel.get_by_label("Follow redirects").check()
            panel.get_by_role("button", name="Check links again").click()
            expect(rows.filter(has_text="/chain/1")).to_contain_text("200 OK")
            assert any("follow=true" in url for url in check_requests(app, "link-check"))


@pytest.fixture(scope="module")
def spamd() -> Iterator[Spamd]:
    with running_spamd() as daemon:
        yield daemon


def test_the_spam_tab_shows_only_with_spamassassin(browser: Any, spamd: Spamd) -> None:
    with running(browser) as app:
        app.send(mail("No spamd", html=VIDEO))
        app.open()
        app.read("No spamd")
        assert "Spam" not in tab_names(app)
    with running(browser, server={"smtp_spamassassin": spamd.address}) as app:
        app.send(mail("Cheap pills", text=f"Buy now.\n{GTUBE}\n"))
        app.open()
        app.read("Cheap pills")
        assert tab_names(app)[-1] == "Spam"
        app.page.get_by_role("tab", name="Spam").click()
        loaded(app, "spam-check")
        panel = app.page.locator("#panel-spam-check")
        expect(panel.locator(".verdict")).to_have_text("Spam")
        gtube = panel.locator("tbody tr", has_text="GTUBE")
        expect(gtube.locator("td").first).to_have_text("1000")
        expect(gtube).to_contain_text("Generic Test for Unsolicited Bulk Email")
        expect(panel.get_by_role("status")).to_contain_text("SpamAssassin: Spam, score")


def test_mail_strings_stay_text_in_the_check_tabs(browser: Any) -> None:
    """Markup in a link's URL and in the accessibility check's snippets is shown, not run."""
    hostile = '<img src=x onerror="window.pwned=1">'
    url = "http://127.0.0.1:1/" + hostile  # port 1: refused at once
    html = f"<p>{hostile} what a lovely sale today</p><a href='{url}'>here</a>"
    with running(browser, server={"allow_internal_http_requests": True}) as app:
        app.send(mail("Hostile", html=html))
        app.open()
        app.read("Hostile")
        app.page.get_by_role("tab", name="Accessibility").click()
        loaded(app, "a11y-check")
        markup = app.page.locator("#panel-a11y-check .markup").filter(has_text="onerror")
        expect(markup.first).to_contain_text('onerror="window.pwned=1"')
        app.page.get_by_role("tab", name="Link check").click()
        app.page.get_by_role("button", name="Check links").click()
        loaded(app, "link-check")
        cell = app.page.locator("#panel-link-check td.url")
        expect(cell).to_contain_text("onerror")
        assert app.page.locator(".check-result img").count() == 0
        assert app.page.evaluate("window.pwned") is None
        assert app.dialogs == []


def test_a_spamd_that_is_down_is_named_in_the_spam_tab(browser: Any) -> None:
    with running(browser, server={"smtp_spamassassin": ("127.0.0.1", 1)}) as app:  # refused
        app.send(mail("Unchecked"))
        app.open()
        app.read("Unchecked")
        app.page.get_by_role("tab", name="Spam").click()
        status = app.page.locator("#panel-spam-check .check-status")
        expect(status).to_contain_text("The spam check failed: SpamAssassin gave no verdict: ")
        expect(status).to_contain_text("127.0.0.1:1")
        expect(app.page.locator("#panel-spam-check .check-result")).to_be_empty()
