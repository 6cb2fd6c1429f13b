"""The message page's Release action in Chromium: there only with a relay, it releases to a
second mailtrap server (STARTTLS and AUTH required) and shows what the relay said, or why
not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browserapp import mail, running
from chromium import require_chromium
from relaytarget import PASSWORD, USER, arrived, target_server

from mailtrap import SMTPServer
from mailtrap.smtp.tls import Certificates, self_signed

playwright_api = pytest.importorskip("playwright.sync_api")
require_chromium()  # skips this module where there is none (fails under CI)

expect = playwright_api.expect


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return self_signed(tmp_path_factory.mktemp("release-ui-tls"))


@pytest.fixture
def target(certs: Certificates) -> Iterator[SMTPServer]:
    with target_server(certs) as server:
        yield server


def relay_settings(target: SMTPServer, certs: Certificates) -> dict[str, Any]:
    return {
        "smtp_relay_host": "localhost",
        "smtp_relay_port": target.port,
        "smtp_relay_starttls": True,
        "smtp_relay_ca_file": certs.ca,
        "smtp_relay_auth": "plain",
        "smtp_relay_username": USER,
        "smtp_relay_password": PASSWORD,
        "smtp_relay_allowed_recipients": r"@example\.net$",
    }


def test_release_from_the_message_page(
    browser: Any, target: SMTPServer, certs: Certificates
) -> None:
    with running(browser, server=relay_settings(target, certs)) as app:
        app.send(mail("Release me", text="to the real world"))
        app.open()
        app.read("Release me")
        page = app.page
        form = page.locator("#release-form")
        expect(form).to_be_hidden()
        page.locator("#release").click()
        expect(form).to_be_visible()
        expect(page.locator("#release")).to_have_attribute("aria-expanded", "true")
        field = page.locator("#release-to")
        expect(field).to_be_focused()
        expect(field).to_have_value("bob@example.com")  # the mail's To, to edit
        expect(page.locator("#release-about")).to_contain_text(f"localhost:{target.port}")
        # Outside the allowed recipients: refused, with the reason, and nothing sent.
        form.get_by_role("button", name="Send").click()
        status = page.locator("#release-status")
        expect(status).to_contain_text("Not released: bob@example.com does not match")
        assert arrived(target) == []
        field.fill("carol@example.net, dan@example.net")
        form.get_by_role("button", name="Send").click()
        expect(status).to_contain_text("Released to carol@example.net, dan@example.net.")
        expect(status).to_contain_text("The relay said: 250 ")
        (got,) = arrived(target)
        assert got.envelope.rcpt_tos == ("carol@example.net", "dan@example.net")
        assert b"Subject: Release me" in got.raw
        field.press("Escape")  # Escape closes the form, back to its button
        expect(form).to_be_hidden()
        expect(page.locator("#release")).to_be_focused()


def test_no_release_action_without_a_relay(browser: Any) -> None:
    with running(browser) as app:
        app.send(mail("Kept here"))
        app.open()
        app.read("Kept here")
        expect(app.page.locator("#delete")).to_be_visible()
        expect(app.page.locator("#release")).to_have_count(0)
        expect(app.page.locator("#release-form")).to_have_count(0)
        assert not any("release.js" in url for url in app.reached)
