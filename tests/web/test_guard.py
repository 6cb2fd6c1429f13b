"""Browser-facing defences: rebound Host names, cross-site writes and cross-site reads are
refused (the reads in a real browser too: tests/web/test_cross_site.py)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import oneshot
import pytest
from inprocess import InProcess
from liveserver import LiveServer
from mailfactory import deliver
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from mailtrap import MemoryStore, MessageStore
from mailtrap.config import Settings
from mailtrap.web import create_app

Live = tuple[InProcess, httpx.Client]
Served = tuple[LiveServer, httpx.Client]
EVIL = {"Origin": "https://evil.example"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/api/v1/messages", {"Read": True}),
        ("DELETE", "/api/v1/messages", None),
        ("DELETE", "/api/v1/search?query=x", None),
        ("PUT", "/api/v1/tags", {"IDs": [], "Tags": []}),
        ("POST", "/api/v1/send", {"From": {"Email": "a@example.com"}, "To": [{"Email": "b@x.io"}]}),
    ],
)
def test_cross_site_writes_are_refused(
    live: Live, store: MessageStore, method: str, path: str, body: object
) -> None:
    server, http = live
    deliver(store)
    refused = http.request(method, path, json=body, headers=EVIL)
    assert refused.status_code == 403
    assert "--api-cors" in refused.json()["detail"]
    assert store.count() == 1
    assert store.count(unread=True) == 1
    same_site = http.request(method, path, json=body, headers={"Origin": server.url})
    assert same_site.status_code == 200


def test_reads_from_other_sites_get_no_cors_so_the_browser_hides_them(live: Live) -> None:
    _, http = live
    response = http.get("/api/v1/messages", headers=EVIL)
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_rebound_host_names_are_refused(served: Served, store: MessageStore) -> None:
    server, _ = served
    for host in ("evil.example", "evil.example:8025", "192.168.1.20"):
        response = oneshot.get(server.url + "/api/v1/messages", headers={"Host": host})
        assert response.status_code == 403, host
        assert "--allowed-hosts" in response.json()["detail"]
    for host in ("localhost", f"localhost:{server.port}", "127.0.0.1", "[::1]:8025"):
        assert oneshot.get(server.url + "/livez", headers={"Host": host}).status_code == 200
    with pytest.raises(InvalidStatus):
        connect(
            server.url.replace("http", "ws") + "/api/events",
            additional_headers={"Host": "evil.example"},
        )


def test_a_second_host_header_is_judged_too(served: Served) -> None:
    """One allowed Host first must not carry a foreign one in: uvicorn on httptools passes
    both on (on h11 it answered 400 itself)."""
    server, _ = served
    request = (
        b"GET /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n"
        b"Connection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.split(b" ", 2)[1] in (b"400", b"403"), answer
    assert b'"messages"' not in answer


def test_allowed_hosts_extends_the_names(store: MessageStore) -> None:
    app = create_app(store, Settings(allowed_hosts=("mail.dev.test",)))
    with LiveServer(app) as server:
        assert oneshot.get(server.url + "/livez", headers={"Host": "mail.dev.test"}).text == "ok"
        assert oneshot.get(server.url + "/livez", headers={"Host": "other.test"}).status_code == 403
    with LiveServer(create_app(store, Settings(allowed_hosts=("*",)))) as server:
        assert oneshot.get(server.url + "/livez", headers={"Host": "other.test"}).text == "ok"


def test_a_wildcard_cors_origin_is_refused() -> None:
    from mailtrap.cli import build_parser, resolve_settings

    with pytest.raises(ValueError, match="every website"):
        resolve_settings(build_parser().parse_args(["--api-cors", "*"]), {})


# -- Fetch Metadata: reads started by pages on other sites ------------------------------------


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[str, str]]:
    """A live server holding one message with a PNG part: (url, message id)."""
    store = MemoryStore()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    summary = deliver(store, attachments=(("logo.png", "image/png", png),))
    with LiveServer(create_app(store)) as server:
        yield server.url, summary.id


def fetched(site: str, mode: str = "no-cors", dest: str = "empty") -> dict[str, str]:
    return {"Sec-Fetch-Site": site, "Sec-Fetch-Mode": mode, "Sec-Fetch-Dest": dest}


READS = [
    "/api/v1/wait?query=hello&timeout=5",
    "/api/v1/messages",
    "/api/v1/message/latest",
    "/api/v1/message/latest/part/2",
    "/api/v1/message/latest/raw",
    "/view/{id}/html",
    "/view/{id}/part/2",
    "/static/app.css",
    "/",
]


@pytest.mark.parametrize("site", ["cross-site", "same-site", "some-future-value"])
@pytest.mark.parametrize("path", READS)
def test_reads_started_by_other_sites_are_refused(
    mailbox: tuple[str, str], path: str, site: str
) -> None:
    url, id = mailbox
    for mode, dest in (("no-cors", "image"), ("cors", "empty"), ("no-cors", "iframe")):
        response = oneshot.get(url + path.format(id=id), headers=fetched(site, mode, dest))
        assert response.status_code == 403, (mode, dest)
        detail = response.json()["detail"]
        assert site in detail
        assert "--api-cors ORIGIN" in detail
        assert response.headers["cross-origin-resource-policy"] == "same-origin"


@pytest.mark.parametrize("path", READS)
def test_own_pages_typed_urls_and_clients_without_fetch_metadata_still_read(
    mailbox: tuple[str, str], path: str
) -> None:
    url, id = mailbox
    for headers in ({}, fetched("same-origin"), fetched("none", "navigate", "document")):
        response = oneshot.get(url + path.format(id=id), headers=headers)
        assert response.status_code == 200, headers
        assert response.headers["cross-origin-resource-policy"] == "same-origin"


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_link_from_another_site_may_open_only_the_ui_pages(
    mailbox: tuple[str, str], site: str
) -> None:
    url, id = mailbox
    link = fetched(site, "navigate", "document")
    for page in ("/", "/?q=hello", f"/view/{id}"):
        assert oneshot.get(url + page, headers=link).status_code == 200, page
        assert oneshot.head(url + page, headers=link).status_code in (200, 405), page
    for leaky in ("/api/v1/message/latest/raw?dl=1", f"/view/{id}/html", "/api/v1/messages"):
        assert oneshot.get(url + leaky, headers=link).status_code == 403, leaky
    # Only top-level pages: the same UI page in a frame, or a form posted to it, is refused.
    framed = fetched(site, "navigate", "iframe")
    assert oneshot.get(url + "/", headers=framed).status_code == 403
    assert oneshot.post(url + "/", headers=link).status_code == 403


def test_an_api_cors_origin_keeps_working_from_its_own_site() -> None:
    store = MemoryStore()
    deliver(store)
    origin = "http://localhost:3000"
    with LiveServer(create_app(store, Settings(api_cors=(origin,)))) as server:
        for site in ("same-site", "cross-site"):
            headers = {**fetched(site, "cors"), "Origin": origin}
            response = oneshot.get(server.url + "/api/v1/messages", headers=headers)
            assert response.status_code == 200
            assert response.json()["total"] == 1
            assert response.headers["access-control-allow-origin"] == origin
            other = {**headers, "Origin": "http://localhost:3001"}
            assert oneshot.get(server.url + "/api/v1/messages", headers=other).status_code == 403
        ws = server.url.replace("http", "ws") + "/api/events"
        with connect(
            ws, additional_headers={**fetched("same-site", "websocket"), "Origin": origin}
        ):
            pass


def test_the_event_socket_refuses_other_sites(mailbox: tuple[str, str]) -> None:
    url, _ = mailbox
    ws = url.replace("http", "ws") + "/api/events"
    for site in ("same-site", "cross-site"):
        with pytest.raises(InvalidStatus):
            connect(ws, additional_headers=fetched(site, "websocket", "websocket"))
    with connect(ws, additional_headers=fetched("same-origin", "websocket", "websocket")) as live:
        assert '"stats"' in live.recv(timeout=10)


def test_every_response_keeps_other_sites_and_openers_out(mailbox: tuple[str, str]) -> None:
    url, _ = mailbox
    answers = [
        oneshot.get(url + "/api/v1/message/no-such-id"),  # 404
        oneshot.get(url + "/api/v1/wait?query=nothing-matches&timeout=0.1"),  # 408
        oneshot.get(url + "/api/v1/wait?count=0"),  # 422
        oneshot.get(url + "/livez", headers={"Host": "evil.example"}),  # 403 from the Guard
        oneshot.post(url + "/api/v1/info"),  # 405
        oneshot.get(url + "/static/app.css"),
        oneshot.get(url + "/api/docs"),
    ]
    assert {a.status_code for a in answers} >= {200, 403, 404, 405, 408, 422}
    for answer in answers:
        assert answer.headers["cross-origin-resource-policy"] == "same-origin", answer.url
        assert answer.headers["cross-origin-opener-policy"] == "same-origin", answer.url
