"""axe-core (npm, as .ci/install-npm-packages installs it) finds no violation on the inbox's
pages, in Debian's Chromium, light and dark: the inbox with mail, a search, a message on each
of its tabs, the check tabs with their results drawn, the empty inbox, and the 404 page.

axe is evaluated by Playwright, outside the pages' CSP, which allows only mailtrap's own
scripts. Every rule axe runs by default counts, best practices included.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browserapp import App, mail, running
from chromium import require_chromium, wait_until
from linkserver import LinkSite
from spamd import GTUBE, Spamd, running_spamd
from tools import axe_core

playwright_api = pytest.importorskip("playwright.sync_api")
require_chromium()  # skips this module where there is none (fails under CI)

expect = playwright_api.expect


def violations(app: App) -> list[str]:
    """axe's violations on the page as it stands: rule, impact and the first offending nodes."""
    if not app.page.evaluate("typeof window.axe !== 'undefined'"):
        app.page.evaluate(axe_core().read_text())
    found: list[dict[str, Any]] = app.page.evaluate("async () => (await axe.run()).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in found
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violation_on_any_page(browser: Any, scheme: str) -> None:
    with running(browser, color_scheme=scheme, timezone_id="Asia/Kolkata") as app:
        app.open()
        expect(app.page.locator("#empty")).to_be_visible()
        found = {"empty inbox": violations(app)}

        html = '<p>Your code is <b>424242</b>. <a href="https://shop.example/">Shop</a></p>'
        app.send(mail("Your code", text="Your code is 424242", html=html, X_Tags="auth"))
        app.send(mail("שלום — a right-to-left subject", X_Tags="news"))
        app.open()
        expect(app.page.locator("#messages li")).to_have_count(2)
        found["inbox"] = violations(app)

        app.open("/?q=subject%3Acode")
        expect(app.page.locator("#messages li")).to_have_count(1)
        found["search"] = violations(app)

        app.page.locator("#messages li a.row").first.click()
        tabs = app.page.get_by_role("tab")
        expect(tabs.first).to_be_visible()
        for i in range(tabs.count()):
            tab = tabs.nth(i)
            name = tab.inner_text()
            tab.click()
            expect(tab).to_have_attribute("aria-selected", "true")
            app.page.wait_for_load_state("networkidle")  # tabs that load their content
            found[f"message, {name} tab"] = violations(app)

        app.open("/view/no-such-message")
        found["404 page"] = violations(app)

    assert {page: v for page, v in found.items() if v} == {}


@pytest.fixture(scope="module")
def spamd() -> Iterator[Spamd]:
    with running_spamd() as daemon:
        yield daemon


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violation_on_the_check_tabs(browser: Any, scheme: str, spamd: Spamd) -> None:
    """Each check tab with its results drawn: a link table with good and bad links, HTML check
    warnings (one opened, the client filter shown), accessibility findings, spam rules."""
    with LinkSite() as site:
        html = (
            f'<html><body><table><tr><td><img src="{site.url("/missing")}"></td></tr></table>'
            '<video src="movie.mp4"></video><p style="color:#aaa;display:flex">Grey text</p>'
            f'<a href="{site.url("/ok")}">click here</a></body></html>'
        )
        server = {"smtp_spamassassin": spamd.address, "allow_internal_http_requests": True}
        with running(browser, server=server, color_scheme=scheme) as app:
            app.send(mail("Checks", text=f"Buy now.\n{GTUBE}\n", html=html))
            app.open()
            app.read("Checks")
            found = {}
            for key in ["link-check", "html-check", "a11y-check", "spam-check"]:
                app.page.locator(f"#tab-{key}").click()
                panel = app.page.locator(f"#panel-{key}")
                if key == "link-check":
                    panel.get_by_role("button", name="Check links").click()
                wait_until(
                    app.page, "k => document.getElementById(`panel-${k}`).dataset.state", key
                )
                expect(panel).to_have_attribute("data-state", "loaded")
                if key == "html-check":
                    panel.locator(".warnings summary").first.click()
                found[key] = violations(app)
    assert {tab: v for tab, v in found.items() if v} == {}
