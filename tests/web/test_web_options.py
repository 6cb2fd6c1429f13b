"""The web app built from typed `WebOptions`, and the Guard on an app of its own."""

from __future__ import annotations

import base64

import httpx
import pytest
from fastapi import FastAPI, WebSocket
from liveserver import LiveServer
from mailfactory import deliver
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from mailtrap import MemoryStore
from mailtrap.options import WebOptions
from mailtrap.smtp.auth import Passwords
from mailtrap.web import create_app
from mailtrap.web.guard import Guard

SEND = {"From": {"Email": "a@example.com"}, "To": [{"Email": "b@example.com"}], "Text": "x"}


def test_the_app_follows_its_web_options() -> None:
    store = MemoryStore()
    deliver(store)
    options = WebOptions(
        smtp=("127.0.0.1", 2525),
        max_message_size=400,
        allowed_hosts=("mail.dev.test",),
        api_cors=("http://localhost:3000",),
    )
    with LiveServer(create_app(store, options)) as server, httpx.Client() as http:
        url = server.url
        assert "127.0.0.1:2525" in http.get(url + "/").text  # where the page says to send
        assert http.get(url + "/livez", headers={"Host": "mail.dev.test"}).text == "ok"
        assert http.get(url + "/livez", headers={"Host": "other.test"}).status_code == 403
        cors = {"Origin": "http://localhost:3000"}
        assert http.post(url + "/api/v1/send", json=SEND, headers=cors).status_code == 200
        too_big = http.post(url + "/api/v1/send", json={**SEND, "Text": "x" * 300})
        assert too_big.status_code == 413
        assert "400 bytes" in too_big.json()["detail"]
        huge = http.post(url + "/api/v1/send", json={**SEND, "Text": "x" * 1000})
        assert huge.status_code == 413  # a body beyond twice the limit is not even read
        assert http.get(url + "/api/v1/info").json()["Database"] == "memory"


def _inner() -> FastAPI:
    app = FastAPI()

    @app.get("/hi")
    def hi() -> dict[str, str]:
        return {"hi": "there"}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    return app


def test_the_guard_protects_an_app_of_its_own() -> None:
    app = _inner()
    app.add_middleware(
        Guard,
        allowed_hosts=("box.test",),
        cors=("http://localhost:3000",),
        passwords=Passwords({"dev": "s3cret"}),
    )
    login = {"Authorization": "Basic " + base64.b64encode(b"dev:s3cret").decode()}
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        refused = http.get("/hi")
        assert refused.status_code == 401
        assert "requires a login" in refused.json()["detail"]
        assert refused.headers["x-content-type-options"] == "nosniff"  # on refusals too
        served = http.get("/hi", headers={**login, "Host": "box.test"})
        assert served.json() == {"hi": "there"}
        assert served.headers["cross-origin-resource-policy"] == "same-origin"
        rebound = http.get("/hi", headers={**login, "Host": "evil.test"})
        assert rebound.status_code == 403
        assert "--allowed-hosts evil.test" in rebound.text
        cross = {**login, "Origin": "https://evil.example"}
        assert http.post("/hi", headers=cross).status_code == 403
        ws_url = server.url.replace("http", "ws") + "/ws"
        with connect(ws_url, additional_headers=login) as socket:
            assert socket.recv(timeout=10) == "hello"
        with pytest.raises(InvalidStatus) as closed:  # closed before accepting: a 403
            connect(ws_url, additional_headers={**login, "Origin": "https://evil.example"})
        assert closed.value.response.status_code == 403
