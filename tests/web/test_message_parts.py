"""The message page's parts in Chromium, issue 16 part B2: the HTML source highlighted, links
in the text, tags that filter and can be edited, and attachments with icons, thumbnails and
downloads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import images
import pytest
from browserapp import App, mail, running
from chromium import require_chromium
from mailfactory import envelope_for

playwright_api = pytest.importorskip("playwright.sync_api")
require_chromium()  # skips this module where there is none (fails under CI)

expect = playwright_api.expect
DATA = Path(__file__).resolve().parents[1] / "data"
PHONE = {"width": 390, "height": 844}
ZONE = "Asia/Kathmandu"  # UTC+5:45


def opened(app: App, subject: str) -> str:
    """Open `subject`'s page from the inbox; its ID."""
    app.open()
    app.page.locator("#messages li", has_text=subject).locator("a.row").click()
    expect(app.page.locator("h1")).to_have_text(subject)
    return str(app.page.locator("article.view").get_attribute("data-id"))


HTML = """<!DOCTYPE html>
<html><head><style>p { color: #c00 }</style></head>
<body><!-- hi --><p class="x">Fish &amp; chips</p>
<script>document.body.dataset.pwned = "1"</script><img src=x onerror="alert(1)"></body></html>"""
TEXT = """Track it at https://shop.example/track?id=42.
Mail us: mailto:help@shop.example, or see (https://example.com/a_(b)).
Not these: javascript:alert(1) ftp://files.example/x www.example.com
"""


def test_html_source_is_highlighted_on_demand_and_text_links_are_links(browser: Any) -> None:
    with running(browser, viewport=PHONE, timezone_id=ZONE) as app:
        app.send(mail("Sources", text=TEXT, html=HTML))
        id = opened(app, "Sources")
        assert not [u for u in app.reached if "/html-source" in u or u.endswith(".txt")]
        app.page.get_by_role("tab", name="HTML source").click()
        expect(app.page).to_have_url(re.compile(r"#html-source$"))
        source = app.page.locator("#panel-html-source pre")
        expect(source.locator(".hl-t").first).to_have_text("html")
        # The text is the mail's HTML exactly, as text: its markup became no element here.
        assert source.text_content() == app.store.get(id).html.replace("\r\n", "\n")
        assert source.locator("script, img, p, style").count() == 0
        kinds = {
            "hl-d": "<!DOCTYPE html>",
            "hl-c": "<!-- hi -->",
            "hl-a": "class",
            "hl-s": '"x"',
            "hl-e": "&amp;",
            "hl-k": "color",
        }
        for kind, text in kinds.items():
            expect(source.locator(f".{kind}", has_text=text).first).to_be_visible()
        colours = {
            kind: source.locator(f".{kind}").first.evaluate("e => getComputedStyle(e).color")
            for kind in ("hl-t", "hl-a", "hl-s", "hl-c")
        }
        assert len(set(colours.values())) == 4, colours
        assert app.page.locator("#panel-html-source .note").is_hidden()  # all highlighted
        # The Text tab: http(s) and mailto URLs are links, the sentence's end outside them.
        app.page.get_by_role("tab", name="Text").click()
        links = app.page.locator("#panel-text pre a")
        expect(links).to_have_count(3)
        hrefs = links.evaluate_all("all => all.map(a => [a.textContent, a.href, a.target, a.rel])")
        assert hrefs == [
            [url, href, "_blank", "noopener noreferrer"]
            for url, href in [
                ("https://shop.example/track?id=42", "https://shop.example/track?id=42"),
                ("mailto:help@shop.example", "mailto:help@shop.example"),
                ("https://example.com/a_(b)", "https://example.com/a_(b)"),
            ]
        ]
        expect(app.page.locator("#panel-text pre")).to_have_text(TEXT.rstrip("\n"))
        assert app.page.evaluate("document.body.dataset.pwned") is None
        assert app.dialogs == []


def test_the_html_source_of_a_2mb_mail_is_bounded(browser: Any) -> None:
    raw = (DATA / "broken-2mb-single-line-html.eml").read_bytes()
    with running(browser, timezone_id=ZONE) as app:
        id = app.store.add(raw, envelope_for(raw)).id
        app.open(f"/view/{id}#html-source")
        note = app.page.locator("#panel-html-source .note")
        expect(note).to_have_text(
            re.compile(
                r"^Highlighted up to character [\d,]+ of 2,000,066; the rest is plain text\.$"
            )
        )
        source = app.page.locator("#panel-html-source pre")
        expect(source).to_contain_text("Report end.")  # the rest is there, plain
        assert source.evaluate("e => e.textContent.length") == 2_000_066


def tag_names(app: App) -> list[str]:
    return list(app.page.locator("#tags .tag").all_text_contents())


def test_tags_filter_the_inbox_and_are_edited_on_the_message(browser: Any) -> None:
    with running(browser, timezone_id=ZONE) as app:
        app.send_many(
            [
                mail("Tagged", X_Tags="orders, shop news"),
                mail("Other news", X_Tags="shop news"),
                mail("No tags"),
            ]
        )
        id = opened(app, "Tagged")
        assert tag_names(app) == ["orders", "shop news"]
        link = app.page.get_by_role("link", name="orders")
        expect(link).to_have_attribute("href", "/?q=tag%3Aorders")
        # Remove one: Mailpit's PUT /api/v1/tags with the whole new list.
        with app.page.expect_request("**/api/v1/tags") as put:
            app.page.get_by_role("button", name="Remove tag orders").click()
        assert put.value.method == "PUT"
        assert put.value.post_data_json == {"IDs": [id], "Tags": ["shop news"]}
        expect(app.page.locator("#tags .tag")).to_have_text(["shop news"])
        assert app.store.get(id).tags == ("shop news",)
        expect(app.page.get_by_role("button", name="Remove tag shop news")).to_be_focused()
        # Add one: the tags in use are offered, the server cleans the name, and the list
        # shows what it kept.
        field = app.page.get_by_role("combobox", name="Add a tag")
        field.focus()
        expect(app.page.locator("#known-tags option")).to_have_count(1)  # orders is gone
        assert app.page.locator("#known-tags option").get_attribute("value") == "shop news"
        field.fill("Urgent!")
        field.press("Enter")
        expect(app.page.locator("#tags .tag")).to_have_text(["shop news", "Urgent"])
        expect(field).to_have_value("")
        expect(field).to_be_focused()
        assert app.store.get(id).tags == ("shop news", "Urgent")
        # A tag is a link: the inbox, filtered by it.
        app.page.get_by_role("link", name="shop news").click()
        expect(app.page).to_have_url(f"{app.web.url}/?q=tag%3A%22shop+news%22")
        expect(app.page.locator("#messages li .subject")).to_have_text(["Other news", "Tagged"])


def test_attachments_have_icons_thumbnails_and_downloads(browser: Any) -> None:
    with running(browser, viewport=PHONE, timezone_id=ZONE) as app:
        msg = mail("Files")
        parts = [
            (images.png(400, 300, (30, 120, 200)), "image", "png", "photo.png"),
            (b"%PDF-1.4 invoice", "application", "pdf", "Résumé 2026.pdf"),
            (b"PK\x03\x04", "application", "zip", "logs.zip"),
            (b"a,b\n1,2\n", "text", "csv", "data.csv"),
            (b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text", "calendar", "invite.ics"),
            (b"\x00\x01", "application", "octet-stream", "blob.bin"),
        ]
        for data, main, sub, name in parts:
            msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
        app.send(msg)
        opened(app, "Files")
        app.page.get_by_role("tab", name="Attachments (6)").click()
        cards = app.page.locator("#panel-attachments li.part")
        expect(cards).to_have_count(6)
        icons = cards.locator("svg.filetype").evaluate_all(
            "all => all.map(s => [...s.classList].find(c => c.startsWith('ft-')))"
        )
        assert icons == ["ft-image", "ft-pdf", "ft-archive", "ft-text", "ft-calendar", "ft-generic"]
        thumb = cards.first.locator("img.thumb")
        expect(thumb).to_have_js_property("naturalWidth", 180)  # Mailpit's 180x120 JPEG
        expect(cards.first.locator("svg.filetype")).to_be_hidden()  # the thumbnail instead
        assert cards.nth(1).locator("img").count() == 0  # a PDF has its icon
        expect(cards.nth(1).locator("svg.filetype")).to_be_visible()
        assert app.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # A download, named as the mail names it (the part route's Content-Disposition).
        link = app.page.get_by_role("link", name="Résumé 2026.pdf")
        expect(link).to_have_attribute("download", "")
        response = app.page.request.get(str(link.evaluate("a => a.href")))
        assert response.headers["content-disposition"] == (
            "attachment; filename=\"R_sum_ 2026.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%202026.pdf"
        )
        with app.page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename == "Résumé 2026.pdf"
        assert Path(download.value.path()).read_bytes() == b"%PDF-1.4 invoice"
