"""GET /api/v1/message/{ID}/link-check over real HTTP: the app under uvicorn, the message's
links on a local site (tests/support/linkserver.py). With `allow_internal_http_requests` (the
flag) the site is checked; without it every link to it is refused and the site sees nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from linkserver import LinkSite
from liveserver import LiveServer
from mailfactory import deliver

from mailtrap import MemoryStore, MessageStore
from mailtrap.options import WebOptions
from mailtrap.web import create_app


@pytest.fixture
def site() -> Iterator[LinkSite]:
    with LinkSite() as served:
        yield served


def _serve(store: MessageStore, *, allow: bool) -> tuple[LiveServer, httpx.Client]:
    server = LiveServer(create_app(store, WebOptions(allow_internal_http_requests=allow)))
    return server, httpx.Client(base_url=server.url, timeout=30)


@pytest.fixture
def allowed() -> Iterator[tuple[MessageStore, httpx.Client]]:
    store = MemoryStore()
    server, http = _serve(store, allow=True)
    with server, http:
        yield store, http


@pytest.fixture
def guarded() -> Iterator[tuple[MessageStore, httpx.Client]]:
    store = MemoryStore()
    server, http = _serve(store, allow=False)
    with server, http:
        yield store, http


def _mail(site: LinkSite) -> dict[str, str]:
    html = (
        f'<a href="{site.url("/ok")}">ok</a> <a href="{site.url("/missing")}">gone</a>'
        f'<img src="{site.url("/broken")}"> <a href="mailto:help@example.com">help</a>'
    )
    return {"html": html, "text": f"Track it: {site.url('/chain/2')}\nAgain: {site.url('/ok')}"}


def test_the_answer_is_mailpits_shape_with_each_link_once(
    allowed: tuple[MessageStore, httpx.Client], site: LinkSite
) -> None:
    store, http = allowed
    m = deliver(store, **_mail(site))
    response = http.get(f"/api/v1/message/{m.id}/link-check")
    assert response.status_code == 200
    assert response.json() == {
        "Errors": 2,
        "Links": [
            {"URL": site.url("/ok"), "StatusCode": 200, "Status": "OK"},
            {"URL": site.url("/missing"), "StatusCode": 404, "Status": "Not Found"},
            {"URL": site.url("/broken"), "StatusCode": 500, "Status": "Internal Server Error"},
            {"URL": site.url("/chain/2"), "StatusCode": 302, "Status": "Found"},
        ],
    }


@pytest.mark.parametrize("follow", ["true", "1", "TRUE"])
def test_follow_reports_where_redirects_end(
    allowed: tuple[MessageStore, httpx.Client], site: LinkSite, follow: str
) -> None:
    store, http = allowed
    deliver(store, text=f"Track it: {site.url('/chain/2')}")
    answer = http.get("/api/v1/message/latest/link-check", params={"follow": follow}).json()
    assert answer == {
        "Errors": 0,
        "Links": [{"URL": site.url("/chain/2"), "StatusCode": 200, "Status": "OK"}],
    }


def test_without_the_flag_internal_links_are_refused_unrequested(
    guarded: tuple[MessageStore, httpx.Client], site: LinkSite
) -> None:
    store, http = guarded
    m = deliver(store, text=f"{site.url('/ok')} {site.url('/ok', host='localhost')}")
    answer = http.get(f"/api/v1/message/{m.id}/link-check", params={"follow": "true"}).json()
    assert answer["Errors"] == 2
    for link in answer["Links"]:
        assert link["StatusCode"] == 451
        assert link["Status"].startswith("Blocked private/reserved address: ")
        assert "--allow-internal-http-requests" in link["Status"]
    assert site.requests == []


def test_a_message_without_links_has_none(allowed: tuple[MessageStore, httpx.Client]) -> None:
    store, http = allowed
    m = deliver(store, text="no links here, just www.example.com", html="<p>nor here</p>")
    assert http.get(f"/api/v1/message/{m.id}/link-check").json() == {"Errors": 0, "Links": []}


def test_an_unknown_message_is_404(allowed: tuple[MessageStore, httpx.Client]) -> None:
    _, http = allowed
    response = http.get("/api/v1/message/nope/link-check")
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]
    assert http.get("/api/v1/message/latest/link-check").status_code == 404  # empty mailbox


def test_a_bad_follow_is_400_naming_it(
    allowed: tuple[MessageStore, httpx.Client], site: LinkSite
) -> None:
    store, http = allowed
    m = deliver(store, text=site.url("/ok"))
    response = http.get(f"/api/v1/message/{m.id}/link-check", params={"follow": "maybe"})
    assert response.status_code == 400
    assert response.json()["detail"] == "follow='maybe' is not a yes or no; use true or false"
    assert site.requests == []
