"""`--webroot`: the option, the app under a path prefix, and pages whose URLs are all paths.

Over real HTTP against the app (LiveServer). The same app behind a TLS-terminating proxy, and
in Chromium, is in test_proxy.py and test_proxy_browser.py.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from html import unescape
from urllib.parse import urljoin

import httpx
import oneshot
import pytest
from liveserver import LiveServer
from mailfactory import deliver
from starlette.responses import RedirectResponse
from starlette.types import Receive, Scope, Send
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from mailtrap import MemoryStore
from mailtrap.cli import build_parser, resolve_settings
from mailtrap.config import Settings
from mailtrap.flags import parse_webroot
from mailtrap.options import WebOptions, web_options
from mailtrap.smtp.auth import Passwords, parse_users
from mailtrap.web import create_app
from mailtrap.web.webroot import Webroot

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
# Every attribute of ours that holds a URL (the mail's own HTML is served separately).
URL_ATTRIBUTE = re.compile(r'\s(?:href|src|action|data-src|data-openapi|data-root)="([^"]*)"')


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("", "/"),
        ("/", "/"),
        ("mail", "/mail/"),
        ("/mail", "/mail/"),
        ("/mail/", "/mail/"),
        ("//a//b/", "/a/b/"),
        ("a/./b/../c", "/a/c/"),
        ("/../up", "/up/"),
        ("@me.v-1_x", "/@me.v-1_x/"),
    ],
)
def test_the_webroot_is_normalized_as_mailpit_does(given: str, normal: str) -> None:
    assert parse_webroot(given) == normal
    assert WebOptions(webroot=given).webroot == normal
    assert Settings.from_env({"MAILTRAP_WEBROOT": given}).webroot == normal
    assert resolve_settings(build_parser().parse_args(["--webroot", given]), {}).webroot == normal
    assert web_options(Settings(webroot=normal)).webroot == normal


@pytest.mark.parametrize("bad", ["/a b", "/mail?x=1", "/mail#x", "/<script>", "/m%41il", "/é"])
def test_a_webroot_that_would_need_quoting_is_refused_naming_it(bad: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(bad))):
        WebOptions(webroot=bad)
    with pytest.raises(ValueError, match=f"MAILTRAP_WEBROOT: {re.escape(repr(bad))}"):
        Settings.from_env({"MAILTRAP_WEBROOT": bad})


def test_mailpits_variable_is_not_read() -> None:
    """The environment is read only through mailtrap's own names (see mailtrap.config)."""
    assert Settings.from_env({"MP_WEBROOT": "/mail/"}).webroot == "/"


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, str]]:
    """A server with `request.param` as its webroot and one message with an HTML body and an
    image part: (origin, webroot, message id)."""
    store = MemoryStore()
    summary = deliver(
        store,
        html="<p>hi <img src='cid:logo'></p>",
        attachments=(("logo.png", "image/png", PNG),),
    )
    with LiveServer(create_app(store, WebOptions(webroot=request.param))) as server:
        yield server.url, parse_webroot(request.param), summary.id


@pytest.mark.parametrize("served", ["/", "/mail/", "/a/b/"], indirect=True)
def test_every_url_in_the_pages_is_a_path_under_the_webroot_and_answers(
    served: tuple[str, str, str],
) -> None:
    """No page names a scheme or host (behind a proxy that terminates TLS, an http:// URL is
    mixed content); every URL starts with the webroot, and each one answers."""
    origin, root, id = served
    pages = [root, f"{root}view/{id}", f"{root}api/docs"]
    for page in pages:
        response = oneshot.get(origin + page)
        assert response.status_code == 200, page
        assert "://" not in response.text, page
        urls = [unescape(u) for u in URL_ATTRIBUTE.findall(response.text)]
        assert f'data-root="{root}"' in response.text or page.endswith("docs")
        for url in urls:
            if url.startswith("data:"):
                continue  # the page's empty favicon
            target = urljoin(page, url)  # "?start=50" and the like: relative to the page
            assert target.startswith(root), (page, url)
            assert oneshot.get(origin + target).status_code == 200, (page, url)
        assert len(urls) >= 3, page


@pytest.mark.parametrize("served", ["/"], indirect=True)
def test_without_a_webroot_everything_stays_where_it_was(served: tuple[str, str, str]) -> None:
    origin, _, id = served
    inbox = oneshot.get(origin + "/").text
    assert 'href="/static/app.css"' in inbox
    assert 'src="/static/inbox.js"' in inbox
    assert f'href="/view/{id}"' in inbox
    assert 'action="/"' in inbox
    view = oneshot.get(f"{origin}/view/{id}").text
    assert f'src="/view/{id}/html"' in view
    assert f'href="/api/v1/message/{id}/raw?dl=1"' in view
    assert 'data-openapi="/openapi.json"' in oneshot.get(origin + "/api/docs").text
    assert "servers" not in oneshot.get(origin + "/openapi.json").json()
    for path in ("/livez", "/readyz", "/api/v1/info", "/static/app.css"):
        assert oneshot.get(origin + path).status_code == 200, path
    assert oneshot.get(origin + "/mail/").status_code == 404


@pytest.mark.parametrize("served", ["/mail/"], indirect=True)
def test_outside_the_webroot_nothing_answers_but_the_bare_prefix(
    served: tuple[str, str, str],
) -> None:
    origin, _, _ = served
    for path in ("/", "/api/v1/messages", "/livez", "/static/app.css", "/mailx/", "/openapi.json"):
        response = oneshot.get(origin + path)
        assert response.status_code == 404, path
        assert "outside mailtrap's webroot /mail/" in response.json()["detail"]
        assert response.headers["x-content-type-options"] == "nosniff"  # the Guard's defaults
    for method in ("GET", "HEAD"):
        bare = oneshot.request(method, origin + "/mail?q=from%3Aa")
        assert (bare.status_code, bare.headers["location"]) == (302, "/mail/?q=from%3Aa")
    assert oneshot.post(origin + "/mail").status_code == 404
    assert oneshot.get(origin + "/mail", follow_redirects=True).url.path == "/mail/"
    ws = origin.replace("http://", "ws://")
    with pytest.raises(InvalidStatus):
        connect(ws + "/api/events", open_timeout=10)
    with connect(ws + "/mail/api/events", open_timeout=10) as events:
        assert '"stats"' in str(events.recv(timeout=10))


@pytest.mark.parametrize("served", ["/", "/mail/"], indirect=True)
def test_redirects_name_a_path_not_the_scheme_and_host(served: tuple[str, str, str]) -> None:
    """Starlette's own redirect (a trailing slash) said http://host/...: behind a proxy that
    terminates TLS, that left HTTPS. Even when the request claims it came over HTTPS."""
    origin, root, _ = served
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "proxy.example"}
    for headers in ({}, forwarded):
        response = oneshot.get(f"{origin}{root}api/v1/messages/?limit=1", headers=headers)
        assert response.status_code == 307
        assert response.headers["location"] == f"{root}api/v1/messages?limit=1"


@pytest.mark.parametrize("served", ["/", "/mail/"], indirect=True)
def test_openapi_names_the_webroot_as_its_server(served: tuple[str, str, str]) -> None:
    origin, root, _ = served
    schema = oneshot.get(f"{origin}{root}openapi.json").json()
    assert schema.get("servers", [{"url": ""}])[0]["url"] == root.rstrip("/")
    assert "/api/v1/messages" in schema["paths"]  # the paths stay below the server's


def test_the_guard_judges_requests_below_the_webroot() -> None:
    """Probes stay open to a login requirement, links from elsewhere may open only the UI
    pages, and Host and Origin checks refuse what they refuse without a webroot."""
    store = MemoryStore()
    id = deliver(store).id
    options = WebOptions(webroot="/mail/", passwords=Passwords(parse_users(("u:p",))))
    with LiveServer(create_app(store, options)) as server:
        base, login = server.url + "/mail", ("u", "p")
        assert oneshot.get(base + "/livez").status_code == 200
        assert oneshot.get(base + "/readyz").status_code == 200
        assert oneshot.get(base + "/api/v1/messages").status_code == 401
        assert oneshot.get(base + "/api/v1/messages", auth=login).status_code == 200
        link = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
        link["Sec-Fetch-Dest"] = "document"
        for path, status in ((f"/view/{id}", 200), ("/", 200), ("/api/v1/messages", 403)):
            response = oneshot.get(base + path, headers=link, auth=login)
            assert response.status_code == status, path
        rebound = oneshot.get(base + "/api/v1/info", headers={"Host": "evil.example"}, auth=login)
        assert rebound.status_code == 403
        assert "--allowed-hosts" in rebound.text
        body = {"IDs": [id], "Read": True}
        for origin, status in ((server.url, 200), ("https://evil.example", 403)):
            response = oneshot.put(
                base + "/api/v1/messages", json=body, headers={"Origin": origin}, auth=login
            )
            assert response.status_code == status, origin


@pytest.mark.parametrize(
    ("location", "sent"),
    [
        ("http://mail.test:8025/x?y=1#f", "/x?y=1#f"),
        ("https://MAIL.test:8025/x", "/x"),
        ("http://mail.test:8025", "/"),
        ("/already/a/path", "/already/a/path"),
        ("http://mail.test:9999/x", "http://mail.test:9999/x"),  # another port: another origin
        ("https://other.example/x", "https://other.example/x"),
        # As a path, "//evil.example/x" would send the browser to evil.example.
        ("http://mail.test:8025//evil.example/x", "http://mail.test:8025//evil.example/x"),
    ],
)
def test_only_a_location_naming_the_requests_own_host_becomes_a_path(
    location: str, sent: str
) -> None:
    async def redirecting(scope: Scope, receive: Receive, send: Send) -> None:
        await RedirectResponse(location, 302)(scope, receive, send)

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=Webroot(redirecting))
        async with httpx.AsyncClient(transport=transport, base_url="http://mail.test:8025") as c:
            return await c.get("/anything")

    assert asyncio.run(fetch()).headers["location"] == sent


@pytest.mark.parametrize("webroot", ["/", "/mail/"])
def test_repeated_slashes_redirect_to_single_ones_as_in_mailpit(webroot: str) -> None:
    """cypress-mailpit asks for MAILPIT_URL + "//view/ID.html"; Mailpit's router redirects."""
    store = MemoryStore()
    app = create_app(store, WebOptions(webroot=webroot))
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        got = http.get(f"{webroot}api//v1//messages?limit=1")  # "//x" alone names a host
        assert got.status_code == 301
        assert got.headers["location"] == f"{webroot}api/v1/messages?limit=1"
        assert http.get(got.headers["location"]).status_code == 200
        put = http.put(f"{webroot}api//v1/messages", json={"Read": True})
        assert put.status_code == 308  # keeps the method and body
