"""--webhook-url: every new message's summary POSTed to a real HTTP server on loopback, by a
real `mailtrap serve`, without ever holding up SMTP."""

from __future__ import annotations

import smtplib
import time

import postgres
import pytest
import serving
from hooksink import HookSink
from ports import unused_ports
from scrape import scrape

from mailtrap.flags import parse_url


def send(smtp: tuple[str, int], count: int, prefix: str = "m") -> list[str]:
    """Send `count` messages over one connection; the IDs the server's 250 replies name."""
    ids = []
    with smtplib.SMTP(*smtp, timeout=30) as client:
        client.ehlo()
        for n in range(count):
            client.mail("app@example.com")
            client.rcpt("user@example.com")
            code, reply = client.data(
                f"From: app@example.com\r\nTo: user@example.com\r\nSubject: {prefix} {n}\r\n"
                f"\r\nhello {n}\r\n".encode()
            )
            assert code == 250, reply
            ids.append(reply.decode().rsplit(" ", 1)[1])
    return ids


def test_every_new_message_is_posted_with_its_summary() -> None:
    with HookSink() as sink:
        server = serving.start("--memory", "--webhook-url", sink.url, "--webhook-limit", "0")
        try:
            ids = send(server.smtp, 50)
            received = sink.wait_for(50, timeout=30)
            listed = server.get("/api/v1/messages?limit=1")["messages"][0]
        finally:
            server.stop()
    assert sorted(r.body["ID"] for r in received) == sorted(ids)  # each once, none lost
    assert {r.path for r in received} == {"/hook"}
    # Mailpit's summary, exactly as the API lists it.
    [newest] = [r.body for r in received if r.body["ID"] == listed["ID"]]
    assert newest == listed
    headers = {k.lower(): v for k, v in received[0].headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("mailtrap/")


def test_instances_sharing_a_postgres_store_post_each_message_once(postgres_url: str) -> None:
    """Both instances hear of the mail (live events), but only the one that received it posts."""
    schema = postgres.new_schema()
    shared = ("--database-url", postgres_url, "--database-schema", schema)
    with HookSink() as sink:
        a = serving.start(*shared, "--webhook-url", sink.url, "--webhook-limit", "0")
        b = serving.start(*shared, "--webhook-url", sink.url, "--webhook-limit", "0")
        try:
            ids = send(a.smtp, 3) + send(b.smtp, 2)
            received = sink.wait_for(5, timeout=30)
            time.sleep(0.5)  # time enough for a second post of any of them
            received = sink.wait_for(5, timeout=1)
        finally:
            a.stop()
            b.stop()
            postgres.drop_schema(postgres_url, schema)
    assert sorted(r.body["ID"] for r in received) == sorted(ids)


def test_requests_are_paced_to_the_limit() -> None:
    with HookSink() as sink:
        server = serving.start("--memory", "--webhook-url", sink.url, "--webhook-limit", "4")
        try:
            send(server.smtp, 9)
            received = sink.wait_for(9, timeout=30)
        finally:
            server.stop()
    assert len(received) == 9  # queued, not dropped as Mailpit drops them
    # Four a second: the ninth starts two seconds after the first, however fast the mail came
    # (unpaced, all nine arrive within a few milliseconds). Slack for a loaded machine's
    # delays in recording the arrivals.
    spread = received[-1].at - received[0].at
    assert spread >= 1.2, spread


def ingest_seconds(smtp: tuple[str, int], count: int) -> float:
    started = time.perf_counter()
    send(smtp, count)
    return time.perf_counter() - started


def test_a_hook_that_takes_10_seconds_does_not_slow_smtp() -> None:
    count = 100
    plain = serving.start("--memory", traced=False)
    try:
        ingest_seconds(plain.smtp, 5)  # warm up both servers alike
        baseline = ingest_seconds(plain.smtp, count)
    finally:
        plain.stop()
    with HookSink(delay=10) as sink:
        server = serving.start(
            "--memory", "--webhook-url", sink.url, "--webhook-limit", "0", traced=False
        )
        try:
            ingest_seconds(server.smtp, 5)
            hooked = ingest_seconds(server.smtp, count)
            stored = server.get("/api/v1/messages?limit=1")["total"]
            # The hook is really being waited on meanwhile: its first requests are in.
            assert sink.wait_for(1, timeout=10)
        finally:
            server.stop()
    assert stored == count + 5
    # Every request hangs for 10 s (until the 5 s timeout); had SMTP waited on even one, the
    # run would take that long. A shared machine's noise is allowed for, not a 10 s stall.
    assert hooked < 3 * baseline + 2.0, (hooked, baseline)


def test_a_dead_hook_loses_no_mail_and_logs_each_failure() -> None:
    dead = f"http://127.0.0.1:{unused_ports()[0]}/hook"  # nothing listens there
    server = serving.start(
        "--memory", env={"MAILTRAP_WEBHOOK_URL": dead, "MAILTRAP_WEBHOOK_LIMIT": "0"}
    )
    try:
        ids = send(server.smtp, 20)
        listed = server.get("/api/v1/messages?limit=0")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            failed = scrape(server.url).value("mailtrap_webhook_requests_total", outcome="failed")
            if failed >= 20:
                break
            time.sleep(0.1)
    finally:
        _, log = server.stop()
    assert listed["total"] == 20 == len(set(ids))
    assert failed == 20
    assert f"webhook: no answer from {dead} for message {ids[0]}: ConnectError" in log
    assert "(20 failed so far)" in log


def test_a_hook_that_answers_an_error_is_counted_and_logged() -> None:
    with HookSink(status=500) as sink:
        server = serving.start("--memory", "--webhook-url", sink.url)
        try:
            [id] = send(server.smtp, 1)
            sink.wait_for(1, timeout=30)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                samples = scrape(server.url)
                if samples.value("mailtrap_webhook_requests_total", outcome="refused"):
                    break
                time.sleep(0.05)
        finally:
            _, log = server.stop()
    assert samples.value("mailtrap_webhook_requests_total", outcome="refused") == 1
    assert samples.value("mailtrap_webhook_requests_total", outcome="sent") == 0
    assert f"webhook: {sink.url} answered 500 for message {id} (1 refused so far)" in log


@pytest.mark.parametrize(
    "value", ["ftp://example.com/", "127.0.0.1:8080", "http://", "http://host:99999/", ""]
)
def test_a_webhook_url_that_is_no_http_url_is_refused_with_an_example(value: str) -> None:
    with pytest.raises(ValueError, match=r"is not an http\(s\) URL; use e\.g\. http://"):
        parse_url(value)


def test_a_bad_webhook_flag_stops_the_start_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    from mailtrap.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--webhook-url", "localhost:8080"], environ={})
    assert "--webhook-url: 'localhost:8080' is not an http(s) URL" in capsys.readouterr().err


def test_a_flood_beyond_the_queue_is_dropped_counted_and_logged() -> None:
    with HookSink() as sink:
        server = serving.start("--memory", "--webhook-url", sink.url, "--webhook-limit", "1")
        try:
            send(server.smtp, 1100)
            samples = scrape(server.url)
            stored = server.get("/api/v1/messages?limit=0")["total"]
        finally:
            _, log = server.stop()
    assert stored == 1100  # the mail is all there; only announcements are dropped
    dropped = samples.value("mailtrap_webhook_requests_total", outcome="dropped")
    # 1,000 wait in the queue and four workers hold one each (one more a second, at the
    # limit of 1): the rest, about 96, are dropped.
    assert 80 <= dropped <= 96, dropped
    assert len(sink.received) <= 1100 - dropped
    assert "webhook: 1000 requests are waiting for" in log
    assert "raise --webhook-limit if the hook can take more" in log
