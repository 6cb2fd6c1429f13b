"""GET /api/v1/message/{id}/sa-check against Debian's real spamd, and the spamc client's
failure modes against sockets that misbehave."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest
from inprocess import InProcess
from mailfactory import build_mail, deliver, envelope_for
from spamd import GTUBE, Spamd, running_spamd

from mailtrap import MemoryStore, MessageStore
from mailtrap.checks.spamassassin import check, parse_answer
from mailtrap.options import WebOptions
from mailtrap.web import create_app

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def spamd() -> Iterator[Spamd]:
    with running_spamd() as daemon:
        yield daemon


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def _client(store: MessageStore, spamassassin: tuple[str, int] | None) -> Iterator[httpx.Client]:
    app = create_app(store, WebOptions(spamassassin=spamassassin))
    with InProcess(app) as served, served.client() as http:
        yield http


@pytest.fixture
def http(store: MemoryStore, spamd: Spamd) -> Iterator[httpx.Client]:
    yield from _client(store, spamd.address)


def _add(store: MessageStore, raw: bytes) -> str:
    return store.add(raw, envelope_for(raw)).id


def test_gtube_is_spam_with_spamds_rules(
    http: httpx.Client, store: MemoryStore, spamd: Spamd
) -> None:
    id = _add(store, build_mail(subject="Cheap offer", text=f"Buy now.\n{GTUBE}\n"))
    response = http.get(f"/api/v1/message/{id}/sa-check")
    assert response.status_code == 200, spamd.log.read_text()
    result = response.json()
    assert set(result) == {"IsSpam", "Score", "Rules", "Error"}
    assert result["Error"] == "", result
    assert result["IsSpam"] is True
    assert result["Score"] >= 1000
    rules = {rule["Name"]: rule for rule in result["Rules"]}
    assert rules["GTUBE"]["Score"] == 1000
    assert "Generic Test for Unsolicited Bulk Email" in rules["GTUBE"]["Description"]
    # The total is the rules' sum, as spamd counts it (to its one decimal).
    assert sum(rule["Score"] for rule in result["Rules"]) == pytest.approx(result["Score"], abs=0.1)


def test_a_normal_mail_is_not_spam(http: httpx.Client, store: MemoryStore) -> None:
    id = _add(store, (DATA / "python-emailmessage.eml").read_bytes())
    result = http.get(f"/api/v1/message/{id}/sa-check").json()
    assert result["Error"] == "", result
    assert result["IsSpam"] is False, result
    assert result["Score"] < 5
    assert all(set(rule) == {"Name", "Score", "Description"} for rule in result["Rules"])


def test_latest_and_an_unknown_id(http: httpx.Client, store: MemoryStore) -> None:
    assert http.get("/api/v1/message/latest/sa-check").status_code == 404  # none yet
    deliver(store, subject="first")
    _add(store, build_mail(subject="second", text=GTUBE, headers={"Date": formatdate()}))
    assert http.get("/api/v1/message/latest/sa-check").json()["IsSpam"] is True
    missing = http.get("/api/v1/message/nosuchid/sa-check")
    assert missing.status_code == 404
    assert "nosuchid" in missing.json()["detail"]


def test_without_the_flag_a_400_says_how_to_enable_it(store: MemoryStore) -> None:
    id = deliver(store).id
    for http in _client(store, None):
        assert http.get("/api/v1/webui").json()["SpamAssassin"] is False
        response = http.get(f"/api/v1/message/{id}/sa-check")
        assert response.status_code == 400
        assert "--smtp-spamassassin HOST:PORT" in response.json()["detail"]
        assert "MAILTRAP_SMTP_SPAMASSASSIN" in response.json()["detail"]


def test_with_the_flag_webui_says_spamassassin_is_on(store: MemoryStore) -> None:
    for http in _client(store, ("127.0.0.1", 783)):
        assert http.get("/api/v1/webui").json()["SpamAssassin"] is True


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once it is closed


def test_an_unreachable_spamd_is_an_error_in_the_answer(store: MemoryStore) -> None:
    # As Mailpit: a 200 whose Error says what went wrong, which its UI shows.
    port = _closed_port()
    id = deliver(store).id
    for http in _client(store, ("127.0.0.1", port)):
        response = http.get(f"/api/v1/message/{id}/sa-check")
        assert response.status_code == 200
        result = response.json()
        assert f"cannot reach SpamAssassin (spamd) at 127.0.0.1:{port}" in result["Error"]
        assert "--smtp-spamassassin" in result["Error"]
        assert (result["IsSpam"], result["Score"], result["Rules"]) == (False, 0, [])


class _Listener:
    """A loopback server that reads the request and answers `reply` (None: never answers)."""

    def __init__(self, reply: bytes | None) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.reply = reply
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(5)
            while conn.recv(65536):  # until the client closes its side
                pass
            if self.reply is not None:
                conn.sendall(self.reply)
            else:
                self.done.wait(10)

    def close(self) -> None:
        self.done.set()
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (None, "did not answer within 0.5 s"),
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", "'HTTP/1.1 400 Bad Request', not a SPAMD/1.x"),
        (b"SPAMD/1.1 76 Bad header line: x\r\n\r\n", "refused the check: 76 Bad header line"),
        (b"SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n\r\n", "answered without a Spam: header"),
        (b"SPAMD/1.1 0 EX_OK\r\n" + b"x" * (1024 * 1024 + 1), "answer longer than 1,048,576"),
    ],
)
def test_a_spamd_that_misbehaves_is_an_error_not_an_exception(
    reply: bytes | None, error: str
) -> None:
    listener = _Listener(reply)
    try:
        report = asyncio.run(
            check(b"Subject: x\r\n\r\nhi\r\n", ("127.0.0.1", listener.port), timeout=0.5)
        )
    finally:
        listener.close()
    assert error in report.error
    assert f"127.0.0.1:{listener.port}" in report.error
    assert (report.is_spam, report.score, report.rules) == (False, 0.0, ())


def test_a_message_over_the_size_limit_is_not_sent() -> None:
    listener = _Listener(b"")  # would answer nothing useful, were it asked
    try:
        report = asyncio.run(check(b"x" * 2000, ("127.0.0.1", listener.port), max_size=1000))
    finally:
        listener.close()
    assert report.error.startswith("the message is 2,000 bytes, over the 1,000 bytes")


def test_wrapped_descriptions_and_negative_scores_are_read() -> None:
    # spamd wraps a long description onto an indented line; scores may be negative or whole.
    answer = (
        b"SPAMD/1.1 0 EX_OK\r\nContent-length: 999\r\nSpam: False ; -1.5 / 5.0\r\n\r\n"
        b"Content analysis details:   (-1.5 points, 5.0 required)\n\n"
        b" pts rule name              description\n"
        b"---- ---------------------- --------------------------------------------------\n"
        b"-2.0 DKIM_VALID_EXAMPLE     Message has at least one valid DKIM or DK\n"
        b"                            signature\n"
        b" 0.5 HTML_MESSAGE           BODY: HTML included in message\n"
        b"  0 ZERO_RULE              Scores nothing\n\n"
    )
    report = parse_answer(answer)
    assert (report.is_spam, report.score) == (False, -1.5)
    assert [(r.name, r.score, r.description) for r in report.rules] == [
        ("DKIM_VALID_EXAMPLE", -2.0, "Message has at least one valid DKIM or DK signature"),
        ("HTML_MESSAGE", 0.5, "BODY: HTML included in message"),
        ("ZERO_RULE", 0.0, "Scores nothing"),
    ]
