"""--ui-auth: the UI, the API and the event socket need a login; the probes do not."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import httpx
import pytest
from liveserver import LiveServer
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from mailtrap import MemoryStore
from mailtrap.config import Settings
from mailtrap.web import create_app


@pytest.fixture
def protected(tmp_path: Path) -> Iterator[LiveServer]:
    hashed = bcrypt.hashpw(b"h4shed", bcrypt.gensalt(rounds=4)).decode()
    users = tmp_path / "htpasswd"
    users.write_text(f"# as htpasswd -B writes it\nops:$2y${hashed[4:]}\n")
    settings = Settings(ui_auth=("dev:s3cret",), ui_auth_file=users)
    with LiveServer(create_app(MemoryStore(), settings)) as server:
        yield server


@pytest.mark.parametrize("path", ["/", "/api/v1/messages", "/static/app.css", "/openapi.json"])
def test_everything_but_the_probes_needs_a_login(protected: LiveServer, path: str) -> None:
    anonymous = httpx.get(protected.url + path)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith('Basic realm="mailtrap"')
    assert httpx.get(protected.url + path, auth=("dev", "wrong")).status_code == 401
    assert httpx.get(protected.url + path, auth=("nobody", "s3cret")).status_code == 401
    assert httpx.get(protected.url + path, auth=("dev", "s3cret")).status_code == 200
    assert httpx.get(protected.url + path, auth=("ops", "h4shed")).status_code == 200  # bcrypt


def test_probes_stay_open(protected: LiveServer) -> None:
    assert httpx.get(protected.url + "/livez").text == "ok"
    assert httpx.get(protected.url + "/readyz").text == "ok"


def test_the_event_socket_needs_a_login(protected: LiveServer) -> None:
    url = protected.url.replace("http", "ws") + "/api/events"
    with pytest.raises(InvalidStatus):
        connect(url)
    token = "Basic " + base64.b64encode(b"dev:s3cret").decode()
    with connect(url, additional_headers={"Authorization": token}) as ws:
        assert '"stats"' in ws.recv(timeout=10)
