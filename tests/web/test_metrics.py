"""GET /metrics: Prometheus's text format, read with prometheus_client's own parser, moving
with real SMTP traffic (accepted, refused by a chaos rule and by the size limit, STARTTLS,
AUTH), deletions and pruning, and HTTP requests; behind --ui-auth like every route."""

from __future__ import annotations

import base64
import json
import re
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import serving
from liveserver import LiveServer
from scrape import scrape

from mailtrap.metrics import Metrics
from mailtrap.smtp.stats import SMTPStats
from mailtrap.storage.memory import MemoryStore
from mailtrap.web.app import create_app

LOGIN = ("admin", "s3cret")


def message(subject: str, size: int = 0) -> bytes:
    body = "x" * size or "hello"
    return f"From: app@example.com\r\nSubject: {subject}\r\n\r\n{body}\r\n".encode()


def delete(base: str, ids: list[str]) -> None:
    token = base64.b64encode(":".join(LOGIN).encode()).decode()
    request = urllib.request.Request(
        base + "/api/v1/messages",
        data=json.dumps({"IDs": ids}).encode(),
        method="DELETE",
        headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_the_counters_move_with_real_traffic(tmp_path: Path) -> None:
    server = serving.start(
        "--memory",
        "--max-messages",
        "2",
        "--max-message-size",
        "4k",
        "--smtp-starttls",
        "--smtp-auth",
        "user:pass",
        "--chaos",
        "rcpt:450:recipients=bounce@*",
        "--ui-auth",
        ":".join(LOGIN),
        env={"XDG_DATA_HOME": str(tmp_path)},
    )
    try:
        before = scrape(server.url, login=LOGIN)
        ca = re.search(r"TLS CA (\S+)", server.banner)
        assert ca, server.banner
        context = ssl.create_default_context(cafile=ca.group(1))
        with smtplib.SMTP(*server.smtp, timeout=10) as client:
            client.starttls(context=context)
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.login("user", "wrong")
            client.login("user", "pass")
            ids = []
            for n in range(3):  # the third prunes the first (--max-messages 2)
                client.mail("app@example.com")
                client.rcpt("user@example.com")
                code, reply = client.data(message(f"kept {n}"))
                assert code == 250
                ids.append(reply.decode().rsplit(" ", 1)[1])
            client.mail("app@example.com")
            assert client.rcpt("bounce@example.com")[0] == 450  # the chaos rule
            client.rset()
            # Too big, by its declared SIZE (refused at MAIL), and undeclared (at the end of DATA).
            with pytest.raises(smtplib.SMTPSenderRefused) as declared:
                client.sendmail("app@example.com", ["user@example.com"], message("big", 8000))
            assert declared.value.smtp_code == 552
            client.mail("app@example.com")
            client.rcpt("user@example.com")
            assert client.data(message("big", 8000))[0] == 552
        delete(server.url, ids[1:2])
        with pytest.raises(urllib.error.HTTPError) as refused:
            scrape(server.url)  # no login: --ui-auth covers /metrics too
        assert refused.value.code == 401
        refused.value.close()
        after = scrape(server.url, login=LOGIN)
    finally:
        server.stop()

    assert before.value("mailtrap_smtp_accepted_total") == 0
    assert after.value("mailtrap_smtp_accepted_total") == 3
    sizes = after.value("mailtrap_smtp_accepted_size_bytes_total")
    assert sizes > 3 * len(message("kept 0"))  # with the Received field mailtrap adds
    rejected = "mailtrap_smtp_rejected_total"
    assert after.value(rejected, reason="chaos", code="450") == 1
    assert after.value(rejected, reason="size", code="552") == 2
    assert after.total(rejected) == 3
    tls = "mailtrap_smtp_tls_handshakes_total"
    assert after.value(tls, mode="starttls", outcome="ok") == 1
    auth = "mailtrap_smtp_auth_attempts_total"
    assert after.value(auth, mechanism="CRAM-MD5", outcome="ok") == 1
    assert after.total(auth, outcome="failed") >= 1  # smtplib tries each mechanism in turn
    assert after.value("mailtrap_smtp_connections_total") == 1
    assert after.value("mailtrap_smtp_connections_open") == 0
    assert after.value("mailtrap_messages_pruned_total") == 1
    assert after.value("mailtrap_messages_deleted_total") == 1
    assert after.value("mailtrap_messages") == 1
    assert after.value("mailtrap_messages_unread") == 1
    assert after.value("mailtrap_database_size_bytes") > 0
    http = "mailtrap_http_requests_total"
    assert after.value(http, route="/api/v1/messages", method="DELETE", status="200") == 1
    assert after.value(http, route="/metrics", method="GET", status="200") == 1  # `before`
    assert after.value(http, route="unmatched", method="GET", status="401") == 1
    for outcome in ("sent", "refused", "failed", "dropped"):  # no hook: all there, at 0
        assert ("mailtrap_webhook_requests_total", frozenset({("outcome", outcome)})) in after
        assert after.value("mailtrap_webhook_requests_total", outcome=outcome) == 0
        assert after.value("mailtrap_relay_messages_total", mode="release", outcome=outcome) == 0
    assert after.total("mailtrap_relay_messages_total", mode="auto") == 0  # no auto relay


def test_smtps_handshakes_and_a_delete_of_everything_are_counted(tmp_path: Path) -> None:
    server = serving.start(
        "--memory", "--smtps", "127.0.0.1:0", env={"XDG_DATA_HOME": str(tmp_path)}
    )
    try:
        smtps = re.search(r"SMTPS\s+(\S+):(\d+)", server.banner)
        ca = re.search(r"TLS CA (\S+)", server.banner)
        assert smtps, server.banner
        assert ca, server.banner
        context = ssl.create_default_context(cafile=ca.group(1))
        with smtplib.SMTP_SSL(smtps.group(1), int(smtps.group(2)), context=context) as client:
            client.sendmail("app@example.com", ["user@example.com"], message("over TLS"))
        server.send("plain")
        request = urllib.request.Request(server.url + "/api/v1/messages", method="DELETE")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        samples = scrape(server.url)
    finally:
        server.stop()
    # Both listeners' counters, summed.
    assert samples.value("mailtrap_smtp_accepted_total") == 2
    assert samples.value("mailtrap_smtp_connections_total") == 2
    tls = "mailtrap_smtp_tls_handshakes_total"
    assert samples.value(tls, mode="smtps", outcome="ok") == 1
    assert samples.value("mailtrap_messages_deleted_total") == 2
    assert samples.value("mailtrap_messages") == 0


def test_each_app_has_a_registry_of_its_own() -> None:
    stats = SMTPStats()
    stats.accepted = 7
    stats.refused("size", "552")
    first = create_app(MemoryStore(), smtp_stats=stats)
    second = create_app(MemoryStore())
    with LiveServer(first) as one, LiveServer(second) as other:
        with urllib.request.urlopen(one.url + "/api/v1/messages", timeout=10):
            pass
        samples_one, samples_other = scrape(one.url), scrape(other.url)
    assert samples_one.value("mailtrap_smtp_accepted_total") == 7
    assert samples_one.value("mailtrap_smtp_rejected_total", reason="size", code="552") == 1
    assert samples_other.value("mailtrap_smtp_accepted_total") == 0
    http = "mailtrap_http_requests_total"
    assert samples_one.value(http, route="/api/v1/messages", method="GET", status="200") == 1
    assert samples_other.total(http, route="/api/v1/messages") == 0


def test_an_outcome_that_is_not_one_is_refused() -> None:
    metrics = Metrics()
    metrics.relay("sent")
    with pytest.raises(ValueError, match="'delivered' is not an outcome; use one of sent, "):
        metrics.relay("delivered")
    exposition = metrics.exposition()
    assert b'mailtrap_relay_messages_total{mode="release",outcome="sent"} 1.0' in exposition


def release(base: str, id: str, to: str) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/message/{id}/release",
        data=json.dumps({"To": [to]}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_relayed_and_released_mail_is_counted_by_mode_and_outcome() -> None:
    target = serving.start("--memory")
    source = serving.start(
        "--memory",
        "--smtp-relay-host",
        target.smtp[0],
        "--smtp-relay-port",
        str(target.smtp[1]),
        "--smtp-relay-all",
    )
    try:
        source.send("relayed on arrival")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not target.get("/api/v1/messages")["total"]:
            time.sleep(0.05)
        [summary] = source.get("/api/v1/messages")["messages"]
        assert release(source.url, summary["ID"], "someone@example.com") == 200
        target.stop()
        assert release(source.url, summary["ID"], "someone@example.com") == 502  # relay down
        samples = scrape(source.url)
    finally:
        source.stop()
        if target.proc.poll() is None:
            target.stop()
    relayed = "mailtrap_relay_messages_total"
    assert samples.value(relayed, mode="auto", outcome="sent") == 1
    assert samples.value(relayed, mode="release", outcome="sent") == 1
    assert samples.value(relayed, mode="release", outcome="failed") == 1
    assert samples.value(relayed, mode="release", outcome="refused") == 0
    assert samples.value("mailtrap_relay_retries_total") == 0
