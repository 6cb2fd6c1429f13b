"""MailHog's Jim (/api/v2/jim) refusing real SMTP, and its live events (/api/v1/events as
Server-Sent Events, /api/v2/websocket) carrying real mail: an SMTP server and uvicorn."""

from __future__ import annotations

import json
import smtplib
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from liveserver import LiveServer
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from mailtrap import MemoryStore, SMTPServer
from mailtrap.web import create_app

Running = tuple[SMTPServer, httpx.Client, LiveServer]
MAIL = b"From: app@example.com\r\nTo: ann@example.com\r\nSubject: Live\r\n\r\nhello\r\n"


@pytest.fixture
def running() -> Iterator[Running]:
    store = MemoryStore()
    with SMTPServer(store, port=0) as smtp:
        app = create_app(store, smtp_stats=smtp.handler.stats, chaos=smtp.chaos)
        with LiveServer(app) as web, httpx.Client(base_url=web.url, timeout=10) as http:
            yield smtp, http, web


def _send(smtp: SMTPServer, recipients: tuple[str, ...] = ("ann@example.com",)) -> None:
    with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client:
        client.sendmail("app@example.com", list(recipients), MAIL)


def test_jim_is_away_until_invited_then_mailhogs_defaults(running: Running) -> None:
    _, http, _ = running
    assert http.get("/api/v2/jim").status_code == 404
    assert http.put("/api/v2/jim", json={}).status_code == 404
    assert http.delete("/api/v2/jim").status_code == 404
    assert http.post("/api/v2/jim").status_code == 201
    assert http.get("/api/v2/jim").json() == {
        "DisconnectChance": 0.0,  # MailHog's 0.005 and 0.1: mailtrap cannot honour those
        "AcceptChance": 0.99,
        "LinkSpeedAffect": 0.0,
        "LinkSpeedMin": 1024.0,
        "LinkSpeedMax": 10240.0,
        "RejectSenderChance": 0.05,
        "RejectRecipientChance": 0.05,
        "RejectAuthChance": 0.05,
    }
    rules = http.get("/api/v1/chaos", params={"extras": 1}).json()["Rules"]
    assert [(r["Stage"], r["Code"], round(r["Probability"], 2)) for r in rules] == [
        ("connect", 421, 0.01),
        ("mail", 550, 0.05),
        ("rcpt", 550, 0.05),
        ("auth", 535, 0.05),
    ]
    again = http.post("/api/v2/jim")
    assert again.status_code == 400
    assert "PUT /api/v2/jim" in again.json()["detail"]
    assert http.delete("/api/v2/jim").status_code == 200
    assert http.get("/api/v1/chaos", params={"extras": 1}).json()["Rules"] == []


def test_jims_settings_refuse_real_smtp(running: Running) -> None:
    smtp, http, _ = running
    # A body's missing chances are 0, as MailHog decodes it: only recipients are refused.
    body = {"AcceptChance": 1, "RejectRecipientChance": 1}
    assert http.post("/api/v2/jim", json=body).status_code == 201
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _send(smtp)
    assert refused.value.recipients["ann@example.com"][0] == 550
    assert http.put("/api/v2/jim", json={"AcceptChance": 0}).status_code == 200
    with pytest.raises(smtplib.SMTPConnectError) as closed:
        _send(smtp)
    assert closed.value.smtp_code == 421
    http.put("/api/v2/jim", json={"AcceptChance": 1, "RejectSenderChance": 1})
    with pytest.raises(smtplib.SMTPSenderRefused):
        _send(smtp)
    assert http.delete("/api/v2/jim").status_code == 200
    _send(smtp)  # Jim is away: all is well again


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"AcceptChance": 1, "DisconnectChance": 0.005}, "DisconnectChance"),
        ({"AcceptChance": 1, "LinkSpeedAffect": 0.1}, "LinkSpeedAffect"),
        ({"AcceptChance": 1.5}, "AcceptChance"),
        ({"AcceptChance": 1, "Chance": 1}, "Chance"),
    ],
)
def test_what_jim_cannot_do_is_a_400_naming_it(
    running: Running, body: dict[str, float], named: str
) -> None:
    _, http, _ = running
    answer = http.post("/api/v2/jim", json=body)
    assert answer.status_code == 400
    assert named in json.dumps(answer.json())
    assert http.get("/api/v2/jim").status_code == 404  # nothing was changed


def test_jim_beside_mailpits_chaos_triggers(running: Running) -> None:
    _, http, _ = running
    trigger = {"Sender": {"ErrorCode": 451, "Probability": 100}}
    http.put("/api/v1/chaos", json=trigger)
    http.post("/api/v2/jim", json={"AcceptChance": 1, "RejectAuthChance": 0.5})
    http.delete("/api/v2/jim")
    # Sending Jim away removes his rules only.
    assert http.get("/api/v1/chaos").json()["Sender"] == {"ErrorCode": 451, "Probability": 100}
    http.post("/api/v2/jim")
    http.put("/api/v1/chaos", json={})  # replaces every rule, Jim's too: he is gone
    assert http.get("/api/v2/jim").status_code == 404
    assert http.post("/api/v2/jim").status_code == 201


def _first_event(web: LiveServer, ready: threading.Event, out: list[Any]) -> None:
    """Read /api/v1/events until one `message` event's data, into `out`."""
    with (
        httpx.Client(base_url=web.url, timeout=10) as client,
        client.stream("GET", "/api/v1/events") as stream,
    ):
        out.append(stream.headers["content-type"])
        data: list[str] = []
        for line in stream.iter_lines():
            ready.set()  # the comment that opens the stream: subscribed
            if line.startswith("data: "):
                data.append(line.removeprefix("data: "))
            elif not line and data:
                out.append(json.loads("\n".join(data)))
                return


def test_event_stream_carries_the_new_message(running: Running) -> None:
    smtp, http, web = running
    ready, out = threading.Event(), list[Any]()
    reader = threading.Thread(target=_first_event, args=(web, ready, out), daemon=True)
    reader.start()
    assert ready.wait(10)
    _send(smtp)
    reader.join(10)
    assert not reader.is_alive()
    content_type, message = out
    assert content_type.startswith("text/event-stream")
    assert message == http.get(f"/api/v1/messages/{message['ID']}").json()
    assert message["Content"]["Headers"]["Subject"] == ["Live"]


def test_websocket_carries_the_new_message(running: Running) -> None:
    smtp, http, web = running
    with connect(web.url.replace("http://", "ws://") + "/api/v2/websocket") as ws:
        _send(smtp, ("ann@example.com", "bob@example.com"))
        message = json.loads(ws.recv(timeout=10))
    assert message == http.get(f"/api/v1/messages/{message['ID']}").json()
    assert message["Raw"]["To"] == ["ann@example.com", "bob@example.com"]


def test_websocket_refuses_a_foreign_origin(running: Running) -> None:
    _, _, web = running
    url = web.url.replace("http://", "ws://") + "/api/v2/websocket"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, origin="https://evil.example")  # type: ignore[call-overload]
    assert refused.value.response.status_code == 403
    with connect(url, origin=web.url):  # type: ignore[call-overload]
        pass
