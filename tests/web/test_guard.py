"""Browser-facing defences: rebound Host names and cross-site writes are refused."""

from __future__ import annotations

import httpx
import pytest
from liveserver import LiveServer
from mailfactory import deliver
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from mailtrap import MessageStore
from mailtrap.config import Settings
from mailtrap.web import create_app

Live = tuple[LiveServer, httpx.Client]
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
    assert store.count() == 1 and store.count(unread=True) == 1  # nothing changed
    same_site = http.request(method, path, json=body, headers={"Origin": server.url})
    assert same_site.status_code == 200


def test_reads_from_other_sites_get_no_cors_so_the_browser_hides_them(live: Live) -> None:
    _, http = live
    response = http.get("/api/v1/messages", headers=EVIL)
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_rebound_host_names_are_refused(live: Live, store: MessageStore) -> None:
    server, _ = live
    for host in ("evil.example", "evil.example:8025", "192.168.1.20"):
        response = httpx.get(server.url + "/api/v1/messages", headers={"Host": host})
        assert response.status_code == 403, host
        assert "--allowed-hosts" in response.json()["detail"]
    for host in ("localhost", f"localhost:{server.port}", "127.0.0.1", "[::1]:8025"):
        assert httpx.get(server.url + "/livez", headers={"Host": host}).status_code == 200
    with pytest.raises(InvalidStatus):
        connect(
            server.url.replace("http", "ws") + "/api/events",
            additional_headers={"Host": "evil.example"},
        )


def test_allowed_hosts_extends_the_names(store: MessageStore) -> None:
    app = create_app(store, Settings(allowed_hosts=("mail.dev.test",)))
    with LiveServer(app) as server:
        assert httpx.get(server.url + "/livez", headers={"Host": "mail.dev.test"}).text == "ok"
        assert httpx.get(server.url + "/livez", headers={"Host": "other.test"}).status_code == 403
    with LiveServer(create_app(store, Settings(allowed_hosts=("*",)))) as server:
        assert httpx.get(server.url + "/livez", headers={"Host": "other.test"}).text == "ok"


def test_a_wildcard_cors_origin_is_refused() -> None:
    from mailtrap.cli import build_parser, resolve_settings

    with pytest.raises(ValueError, match="every website"):
        resolve_settings(build_parser().parse_args(["--api-cors", "*"]), {})
