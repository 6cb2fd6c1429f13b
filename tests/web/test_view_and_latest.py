"""Mailpit's body getters (/view/{ID}.html and .txt) and `latest?query=` wherever an ID goes."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from inprocess import InProcess
from liveserver import LiveServer
from mailfactory import build_mail, deliver, envelope_for

from mailtrap import MessageStore
from mailtrap.options import WebOptions
from mailtrap.web import create_app
from mailtrap.web.pages import MAIL_CSP

Live = tuple[InProcess, httpx.Client]
Served = tuple[LiveServer, httpx.Client]

HTML = (
    '<p>Hi <a href="https://shop.example/a">shop</a> <img src="cid:logo@x">'
    '<iframe src="https://tracker.example/"></iframe><script>alert(1)</script></p>'
)


def test_view_html_is_the_inbox_rendering_under_the_same_csp(
    live: Live, store: MessageStore
) -> None:
    _, http = live
    m = deliver(store, subject="html mail", text="the text body", html=HTML)
    response = http.get(f"/view/{m.id}.html")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == MAIL_CSP.format(remote="")
    body = response.text
    assert 'href="https://shop.example/a"' in body
    assert "tracker.example" not in body  # rewritten as the inbox's view is
    assert 'target="_blank"' not in body
    remote = http.get(f"/view/{m.id}.html", params={"remote": 1})
    assert "img-src data: http: https:" in remote.headers["content-security-policy"]


def test_view_html_embed_opens_links_in_new_tabs(live: Live, store: MessageStore) -> None:
    _, http = live
    m = deliver(store, html=HTML)
    response = http.get(f"/view/{m.id}.html", params={"embed": 1})
    assert response.status_code == 200
    assert 'target="_blank"' in response.text
    assert 'rel="noreferrer noopener"' in response.text
    csp = response.headers["content-security-policy"]
    # Links may open a tab; nothing else of the sandbox is lifted (no scripts, no origin).
    assert "sandbox allow-popups allow-popups-to-escape-sandbox;" in csp
    assert "allow-scripts" not in csp
    assert "allow-same-origin" not in csp
    assert "default-src 'none'" in csp


def test_view_txt_and_a_message_without_html(live: Live, store: MessageStore) -> None:
    _, http = live
    m = deliver(store, text="only text here")
    text = http.get(f"/view/{m.id}.txt")
    assert text.status_code == 200
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.text.strip() == "only text here"
    missing_html = http.get(f"/view/{m.id}.html")
    assert missing_html.status_code == 404
    assert "no HTML part" in missing_html.json()["detail"]
    assert http.get("/view/nope.txt").status_code == 404
    assert http.get("/view/nope.html").json()["detail"].startswith("no message with id 'nope'")


def test_latest_is_the_newest_message_or_the_newest_match(live: Live, store: MessageStore) -> None:
    _, http = live
    first = deliver(store, to="ann@example.com", subject="code 111", text="code 111")
    deliver(store, to="bob@example.com", subject="code 222", text="code 222")
    assert http.get("/view/latest.txt").text.strip() == "code 222"
    for path in (
        "/view/latest.txt",
        "/api/v1/message/latest",
        "/api/v1/message/latest/headers",
        "/api/v1/message/latest/raw",
        "/api/v1/message/latest/stored",
    ):
        response = http.get(path, params={"query": "to:ann@example.com"})
        assert response.status_code == 200, path
        # "code 222", not "222": a generated Message-ID may hold those digits too.
        assert "code 111" in response.text or first.id in response.text, path
        assert "code 222" not in response.text, path
    assert http.get("/api/v1/message/latest", params={"query": "to:ann"}).json()["ID"] == first.id
    raw = http.get("/api/v1/message/latest/raw", params={"query": "to:ann", "dl": 1})
    assert f'filename="{first.id}.eml"' in raw.headers["content-disposition"]


def test_latest_without_a_match_or_with_a_bad_query_says_so(
    live: Live, store: MessageStore
) -> None:
    _, http = live
    empty = http.get("/api/v1/message/latest")
    assert (empty.status_code, empty.json()["detail"]) == (
        404,
        "the mailbox is empty, so there is no latest message",
    )
    deliver(store)
    none = http.get("/view/latest.html", params={"query": "subject:nothing"})
    assert none.status_code == 404
    assert (
        none.json()["detail"] == "no message matches 'subject:nothing', so there is no latest match"
    )
    bad = http.get("/api/v1/message/latest/headers", params={"query": "is:nosuchflag"})
    assert bad.status_code == 400
    assert "unknown search flag" in bad.json()["detail"]
    # An ordinary ID ignores the query: it names its message already.
    assert http.get("/api/v1/message/latest", params={"query": ""}).status_code == 200


def test_view_latest_redirects_to_the_page_of_the_newest_match(
    live: Live, store: MessageStore
) -> None:
    _, http = live
    a = deliver(store, subject="alpha")
    deliver(store, subject="beta")
    hit = http.get("/view/latest", params={"query": "subject:alpha"})
    assert (hit.status_code, hit.headers["location"]) == (302, a.id)
    assert http.get(f"/view/{hit.headers['location']}").status_code == 200
    miss = http.get("/view/latest", params={"query": "subject:gamma"})
    assert (miss.status_code, miss.headers["location"]) == (302, "../")


@pytest.mark.parametrize("suffix", [".html", ".txt"])
def test_cross_site_pages_cannot_open_the_mail_itself(
    live: Live, store: MessageStore, suffix: str
) -> None:
    _, http = live
    raw = build_mail(html="<p>secret</p>")
    m = store.add(raw, envelope_for(raw))
    navigation = {
        "Sec-Fetch-Site": "cross-site",
        "Sec-Fetch-Mode": "navigate",
        "Sec-Fetch-Dest": "document",
    }
    assert http.get(f"/view/{m.id}{suffix}", headers=navigation).status_code == 403
    assert http.get(f"/view/{m.id}", headers=navigation).status_code == 200  # the page: a link


def test_view_html_embeds_cid_images(live: Live, store: MessageStore) -> None:
    _, http = live
    raw = build_mail(
        html='<p><img src="cid:logo@x"></p>',
        attachments=(("logo.png", "image/png", b"\x89PNG\r\n\x1a\nfake"),),
    )
    raw = raw.replace(
        b'Content-Disposition: attachment; filename="logo.png"',
        b"Content-Disposition: inline\r\nContent-ID: <logo@x>",
    )
    m = store.add(raw, envelope_for(raw))
    body = http.get(f"/view/{m.id}.html").text
    assert 'src="data:image/png;base64,iVBORw0KGgpmYWtl"' in body


def test_under_a_webroot_the_body_getters_and_the_redirect_stay_inside_it(
    store: MessageStore,
) -> None:
    a = deliver(store, subject="alpha", text="alpha text")
    app = create_app(store, WebOptions(webroot="/mail/"))
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/mail/view/latest.txt").text.strip() == "alpha text"
        hit = http.get("/mail/view/latest", params={"query": "alpha"})
        assert hit.status_code == 302
        assert str(hit.url.join(hit.headers["location"])).endswith(f"/mail/view/{a.id}")
        miss = http.get("/mail/view/latest", params={"query": "gamma"})
        assert str(miss.url.join(miss.headers["location"])).endswith("/mail/")


def test_latest_reads_the_dates_of_its_query_in_tz(live: Live, store: MessageStore) -> None:
    """`tz` beside `latest?query=`, as on /search: a wall-clock time in that zone."""
    _, http = live
    arrived = deliver(store, subject="timed")
    kiritimati = arrived.created.astimezone(ZoneInfo("Pacific/Kiritimati"))  # UTC+14
    since = (kiritimati - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    query = {"query": f"after:{since}"}
    assert http.get("/api/v1/message/latest", params={**query, "tz": "UTC"}).status_code == 404
    found = http.get("/api/v1/message/latest", params={**query, "tz": "Pacific/Kiritimati"})
    assert found.status_code == 200
    assert found.json()["ID"] == arrived.id
    page = http.get("/view/latest", params={**query, "tz": "Pacific/Kiritimati"})
    assert (page.status_code, page.headers["location"]) == (302, arrived.id)
    unknown = http.get("/api/v1/message/latest", params={**query, "tz": "Mars/Olympus"})
    assert unknown.status_code == 400
    assert "Mars/Olympus" in unknown.json()["detail"]
