#!/usr/bin/env python3
"""Render the README's screenshots (docs/*.png): the inbox and a message, light and dark, on a
desktop and on a phone.

    python scripts/screenshots.py [--chromium /usr/bin/chromium]

Runs mailtrap in-process on free loopback ports with a few sample messages, then drives
Debian's Chromium with Playwright.
"""

from __future__ import annotations

import argparse
import smtplib
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from mailtrap import MemoryStore, SMTPServer
from mailtrap.config import Settings
from mailtrap.web import create_app
from mailtrap.web.serve import bind_http

DOCS = Path(__file__).resolve().parents[1] / "docs"
SAMPLES = [
    (
        "Shop <orders@shop.example>",
        "Your order #1042 has shipped",
        "orders, shipping",
        "<h2>Good news!</h2><p>Your order <b>#1042</b> is on its way.</p>"
        "<p><a href='https://shop.example/track/1042'>Track your parcel</a></p>",
    ),
    (
        "Acme Accounts <no-reply@acme.example>",
        "Your sign-in code: 424242",
        "auth",
        "<p>Use <b style='font-size:20px'>424242</b> to sign in. It expires in 10 minutes.</p>",
    ),
    (
        "Jörg Müller <joerg@example.de>",
        "Grüße aus Köln — Rechnung März",
        "",
        "<p>Hallo Bob,</p><p>anbei die Rechnung für März.</p>",
    ),
    (
        "Team Standup <calendar@example.com>",
        "Invitation: Weekly sync @ Mon 10:00",
        "calendar",
        "<p>You have been invited to <i>Weekly sync</i>.</p>",
    ),
]


def send_samples(host: str, port: int) -> None:
    for sender, subject, tags, html in SAMPLES:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, "Bob <bob@example.com>", subject
        if tags:
            msg["X-Tags"] = tags
        msg.set_content("Plain-text version of: " + subject)
        msg.add_alternative(
            f"<html><body style='font-family:sans-serif'>{html}</body></html>", subtype="html"
        )
        if "Rechnung" in subject:
            msg.add_attachment(
                b"%PDF-1.4", maintype="application", subtype="pdf", filename="Rechnung-März.pdf"
            )
        with smtplib.SMTP(host, port) as client:
            client.send_message(msg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    store = MemoryStore()
    with SMTPServer(store, port=0) as smtp:
        sock = bind_http("127.0.0.1", 0)
        app = create_app(store, Settings(smtp=(smtp.host, smtp.port)))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        send_samples(smtp.host, smtp.port)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=args.chromium, args=["--disable-background-networking"]
            )
            screens = {"": {"width": 1100, "height": 560}, "-phone": {"width": 390, "height": 760}}
            for suffix, viewport in screens.items():
                for scheme in ("light", "dark"):
                    page = browser.new_page(viewport=viewport, color_scheme=scheme)
                    page.goto(url + "/")
                    page.wait_for_selector("#messages li")
                    page.wait_for_timeout(300)
                    page.screenshot(path=DOCS / f"inbox{suffix}-{scheme}.png")
                    page.locator("li", has_text="shipped").locator("a.row").click()
                    page.frame_locator("#html-frame").locator("h2").wait_for()
                    page.wait_for_timeout(300)
                    page.screenshot(path=DOCS / f"message{suffix}-{scheme}.png")
                    page.close()
            browser.close()
        server.should_exit = True
        thread.join()
    print("wrote", ", ".join(sorted(p.name for p in DOCS.glob("*.png"))))


if __name__ == "__main__":
    main()
