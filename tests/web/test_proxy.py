"""`mailtrap serve --webroot /mail/` behind a TLS-terminating reverse proxy (tests/support/
tlsproxy.py, on loopback), driven by HTTP and WebSocket clients; Chromium is in
test_proxy_browser.py."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from serving import Running, start
from tlsproxy import TLSProxy, tls_pair
from websockets.sync.client import connect

from mailtrap import Client


@dataclass
class Proxied:
    served: Running
    proxy: TLSProxy
    trust: ssl.SSLContext  # trusts the proxy's certificate
    root: str  # "/mail/" or "/"
    port: int  # mailtrap's own

    @property
    def https(self) -> str:
        return f"https://127.0.0.1:{self.proxy.port}"


@pytest.fixture(scope="module", params=["/mail/", "/"])
def proxied_server(request: pytest.FixtureRequest) -> Iterator[Proxied]:
    """One `mailtrap serve` and proxy per webroot for the module: a start costs about a second
    of CPU."""
    root = request.param
    served = start("--memory", *(["--webroot", root] if root != "/" else []))
    try:
        tls = tls_pair("127.0.0.1")
        backend = httpx.URL(served.url)
        assert backend.port is not None
        with TLSProxy(("127.0.0.1", backend.port), tls.server) as proxy:
            yield Proxied(served, proxy, tls.client, root, backend.port)
    finally:
        served.stop()


@pytest.fixture
def proxied(proxied_server: Proxied) -> Proxied:
    """The module's server, holding no mail."""
    Client(proxied_server.served.url).delete_all()
    return proxied_server


def test_the_banner_names_the_webroot_and_clients_take_it_as_their_base(
    proxied: Proxied,
) -> None:
    assert proxied.served.url == f"http://127.0.0.1:{proxied.port}{proxied.root.rstrip('/')}"
    proxied.served.send("hello")
    assert [m.subject for m in Client(proxied.served.url).messages().messages] == ["hello"]


def test_the_api_and_the_pages_answer_through_the_proxy(proxied: Proxied) -> None:
    root = proxied.root
    with httpx.Client(base_url=proxied.https, verify=proxied.trust) as http:
        page = http.get(root)
        assert page.status_code == 200
        assert f'data-root="{root}"' in page.text
        assert "http://" not in page.text
        proxied.served.send("through the proxy")
        listed = http.get(f"{root}api/v1/messages").json()
        assert [m["Subject"] for m in listed["messages"]] == ["through the proxy"]
        id = listed["messages"][0]["ID"]
        assert http.get(f"{root}view/{id}").status_code == 200
        origin = {"Origin": proxied.https}  # as the browser sends it: https, the proxy's port
        put = http.put(f"{root}api/v1/messages", json={"IDs": [id], "Read": True}, headers=origin)
        assert put.status_code == 200
        assert http.get(f"{root}api/v1/messages").json()["messages"][0]["Read"] is True
        slash = http.get(f"{root}api/v1/messages/")
        assert (slash.status_code, slash.headers["location"]) == (307, f"{root}api/v1/messages")
        assert http.get(f"{root}api/v1/messages/", follow_redirects=True).url.scheme == "https"
        if root != "/":
            bare = http.get(root.rstrip("/"), follow_redirects=True)
            assert (bare.status_code, str(bare.url)) == (200, proxied.https + root)
            assert http.get("/api/v1/messages").status_code == 404
    requests = [(method, target) for method, target, _ in proxied.proxy.seen]
    assert ("PUT", f"{root}api/v1/messages") in requests  # it went through the proxy


def test_the_event_socket_works_through_the_proxy(proxied: Proxied) -> None:
    url = f"wss://127.0.0.1:{proxied.proxy.port}{proxied.root}api/events"
    with connect(url, ssl=proxied.trust, additional_headers={"Origin": proxied.https}) as ws:
        assert json.loads(ws.recv(timeout=10))["Type"] == "stats"
        proxied.served.send("live")
        while (event := json.loads(ws.recv(timeout=10)))["Type"] != "new":
            pass
        assert event["Data"]["Subject"] == "live"
    assert (url.split(str(proxied.proxy.port))[1], 101) in [
        (target, status) for _, target, status in proxied.proxy.seen
    ]
