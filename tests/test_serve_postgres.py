"""`mailtrap serve --database-url`: mail kept in PostgreSQL, end to end, shared by two
instances (live events included), with the password never shown (banner, logs,
/api/v1/info, errors, the settings' repr)."""

from __future__ import annotations

import io
import json
import smtplib
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from postgres import postgres_bin, throwaway_cluster
from psycopg import sql
from scrape import scrape
from serving import Running, start
from websockets.sync.client import ClientConnection, connect

from mailtrap import Client, RemoteMailbox
from mailtrap.cli import build_parser, resolve_settings, serve
from mailtrap.config import Settings
from mailtrap.options import serve_options

SECRET = "s3cret-Pa55"


def require_postgres() -> None:
    """Skip (fail under CI) without PostgreSQL's server programs, which a test of outages
    needs for a cluster of its own to stop and start."""
    postgres_bin()


def _with_password(url: str) -> str:
    # The test cluster trusts local connections: the password is sent and ignored.
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{SECRET}@", 1)


def test_serve_keeps_mail_in_postgres_and_never_shows_the_password(
    postgres_url: str, schema: str
) -> None:
    url = _with_password(postgres_url)
    running = start("--database-url", url, "--database-schema", schema, "--log-level", "debug")
    try:
        assert "Store  PostgreSQL at postgresql://postgres@" in running.banner
        assert f"(schema {schema})" in running.banner
        running.send("kept in PostgreSQL")
        listed = running.get("/api/v1/messages")
        assert [m["Subject"] for m in listed["messages"]] == ["kept in PostgreSQL"]
        assert listed["total"] == 1
        found = running.get("/api/v1/search?query=subject%3Apostgresql")
        assert found["messages_count"] == 1
        info = running.get("/api/v1/info")
        assert info["Database"].startswith("postgresql://postgres@")
        assert SECRET not in json.dumps(info)
        assert SECRET not in running.banner
    finally:
        code, log = running.stop()
    assert code == 0, log
    assert SECRET not in log

    # Another instance on the same schema finds the mail: it is in the database.
    again = start("--database-url", postgres_url, "--database-schema", schema)
    try:
        assert [m["Subject"] for m in again.get("/api/v1/messages")["messages"]] == [
            "kept in PostgreSQL"
        ]
    finally:
        again.stop()


def _next_of(ws: ClientConnection, kind: str, timeout: float) -> dict[str, Any]:
    """The next WebSocket event of type `kind`, skipping others (stats come between)."""
    deadline = time.monotonic() + timeout
    while True:
        event = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if event["Type"] == kind:
            return event  # type: ignore[no-any-return]


def test_two_instances_on_one_schema_share_the_inbox_and_its_live_events(
    postgres_url: str, schema: str
) -> None:
    a = start("--database-url", postgres_url, "--database-schema", schema)
    b = start("--database-url", postgres_url, "--database-schema", schema)
    try:
        with connect(b.url.replace("http://", "ws://") + "/api/events") as ws:
            assert json.loads(ws.recv(timeout=10))["Type"] == "stats"
            a.send("to A")  # returns after A's 250
            accepted = time.monotonic()
            new = _next_of(ws, "new", timeout=5)
            delay = time.monotonic() - accepted
            assert new["Data"]["Subject"] == "to A"
            assert delay < 1.0, f"A's new mail reached B's WebSocket after {delay:.3f} s"
            assert _next_of(ws, "stats", timeout=5)["Data"]["Total"] == 1
        b.send("to B")
        for running in (a, b):
            listed = running.get("/api/v1/messages")
            assert [m["Subject"] for m in listed["messages"]] == ["to B", "to A"]
        # Each says which instance answered; both share the one inbox's counts.
        names = [r.get("/api/v1/info?extras=1")["Instance"] for r in (a, b)]
        assert all(names)
        assert names[0] != names[1]
        assert [r.get("/api/v1/info")["Messages"] for r in (a, b)] == [2, 2]

        # A waiter on B is answered by A's mail: within 500 ms of A's 250.
        answer: list[tuple[float, httpx.Response]] = []
        query: dict[str, str | int] = {"query": "subject:waited", "timeout": 10}
        waiter = threading.Thread(
            target=lambda: answer.append(
                (time.monotonic(), httpx.get(f"{b.url}/api/v1/wait", params=query, timeout=30))
            )
        )
        waiter.start()
        time.sleep(0.3)  # B has searched once and sleeps on its hub
        a.send("waited for")
        accepted = time.monotonic()
        waiter.join(timeout=15)
        assert answer, "B's wait did not answer"
        answered, response = answer[0]
        assert response.status_code == 200
        assert response.json()["messages"][0]["Subject"] == "waited for"
        assert answered - accepted < 0.5, f"B's wait answered {answered - accepted:.3f} s late"

        # A RemoteMailbox on A's API sees the mail its test sends to B.
        mailbox = RemoteMailbox(Client(a.url), host=b.smtp[0], port=b.smtp[1])
        with smtplib.SMTP(*b.smtp, timeout=10) as smtp:
            to = mailbox.address("user")
            smtp.sendmail("app@example.com", [to], f"Subject: hi\r\nTo: {to}\r\n\r\nx")
        assert mailbox.wait_for(timeout=5).subject == "hi"
    finally:
        a.stop()
        b.stop()


def test_a_waiter_rechecks_even_when_no_event_says_so(postgres_url: str, schema: str) -> None:
    """A change no notification announces (here: made in SQL; in life: one lost while a
    listener reconnected) still answers a /api/v1/wait within a few seconds."""
    running = start("--database-url", postgres_url, "--database-schema", schema)
    try:
        running.send("to be read")
        answer: list[httpx.Response] = []
        waiter = threading.Thread(
            target=lambda: answer.append(
                httpx.get(f"{running.url}/api/v1/wait", params={"query": "is:read"}, timeout=30)
            )
        )
        waiter.start()
        time.sleep(0.5)  # the waiter has searched once, found nothing, and sleeps
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("UPDATE {}.messages SET read = true").format(sql.Identifier(schema))
            )
        changed = time.monotonic()
        waiter.join(timeout=20)
        assert answer, "the wait did not answer"
        assert answer[0].status_code == 200
        assert answer[0].json()["messages_count"] == 1
        assert time.monotonic() - changed < 4
    finally:
        running.stop()


def test_each_instance_counts_only_its_own_deletions_in_metrics(
    postgres_url: str, schema: str
) -> None:
    shared = ("--database-url", postgres_url, "--database-schema", schema, "--max-messages", "2")
    a, b = start(*shared), start(*shared)
    try:
        for n in range(3):
            a.send(f"m{n}")  # the third prunes the first, in A's batch
        newest = a.get("/api/v1/messages")["messages"][0]["ID"]
        deleted = httpx.request("DELETE", f"{a.url}/api/v1/messages", json={"IDs": [newest]})
        assert deleted.status_code == 200
        time.sleep(0.3)  # B hears both deletions meanwhile, as remote events
        counted = {
            name: (
                samples.value("mailtrap_messages_pruned_total"),
                samples.value("mailtrap_messages_deleted_total"),
            )
            for name, samples in (("a", scrape(a.url)), ("b", scrape(b.url)))
        }
        assert counted == {"a": (1.0, 1.0), "b": (0.0, 0.0)}
    finally:
        a.stop()
        b.stop()


def _smtp_reply(running: Running, subject: str) -> int:
    """The SMTP server's reply code to a message (250 accepted; 451 try again later)."""
    try:
        running.send(subject)
    except smtplib.SMTPDataError as exc:
        return exc.smtp_code
    return 250


def test_an_outage_is_451_and_503_then_mail_flows_again_without_a_restart() -> None:
    """PostgreSQL killed right after a 250 (`pg_ctl stop -m immediate`), then started again:
    meanwhile SMTP answers 451 and the API 503 with a reason; after, the mail accepted before
    the crash is there and new mail is accepted, by the same mailtrap process."""
    require_postgres()
    with throwaway_cluster() as cluster:
        running = start("--database-url", cluster.url)
        try:
            assert _smtp_reply(running, "before the crash") == 250
            cluster.stop("immediate")
            assert _smtp_reply(running, "during the outage") == 451
            down = httpx.get(f"{running.url}/api/v1/messages", timeout=30)
            assert down.status_code == 503
            assert "cannot be reached" in down.json()["detail"]
            assert "retry" in down.json()["detail"]
            cluster.start()
            deadline = time.monotonic() + 15
            while (
                up := httpx.get(f"{running.url}/api/v1/messages", timeout=30)
            ).status_code != 200:
                assert time.monotonic() < deadline, up.text
                time.sleep(0.1)
            assert [m["Subject"] for m in up.json()["messages"]] == ["before the crash"]
            assert _smtp_reply(running, "after the restart") == 250
            listed = running.get("/api/v1/messages")["messages"]
            assert [m["Subject"] for m in listed] == ["after the restart", "before the crash"]
        finally:
            code, log = running.stop()
        assert code == 0, log


def test_an_unreachable_database_stops_serve_with_an_error_without_the_password(
    tmp_path: Path,
) -> None:
    url = f"postgresql://someone:{SECRET}@/mail?host={tmp_path}"  # no server listens there
    out = io.StringIO()
    settings = resolve_settings(build_parser().parse_args(["--database-url", url]), {})
    assert serve(settings, {"HOME": str(tmp_path)}, out) == 1
    assert "cannot use the PostgreSQL database at postgresql://someone@/mail" in out.getvalue()
    assert SECRET not in out.getvalue()


def test_the_database_url_comes_from_the_flag_or_the_environment_and_hides_its_password() -> None:
    url = f"postgresql://mail:{SECRET}@db.example:5432/mail"
    from_env = Settings.from_env({"MAILTRAP_DATABASE_URL": url, "MAILTRAP_DATABASE_SCHEMA": "a"})
    from_flag = resolve_settings(
        build_parser().parse_args(["--database-url", url, "--database-schema", "a"]), {}
    )
    for settings in (from_env, from_flag):
        assert settings.database_url is not None
        assert settings.database_url.secret == url
        assert settings.database_schema == "a"
        assert SECRET not in repr(settings)
        assert SECRET not in str(settings.database_url)
        assert "postgresql://mail@db.example:5432/mail" in repr(settings)
    options = serve_options(from_flag, data_dir=Path("/nonexistent"))
    assert SECRET not in repr(options)
    assert options.database_url == from_flag.database_url


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--database-url", "mysql://u:pw@db/mail"], "'mysql://u@db/mail' is no PostgreSQL"),
        (["--database-url", "postgresql://db/mail", "--memory"], "pass one of them"),
        (["--database-url", "postgresql://db/mail", "--db", "x.db"], "pass one of them"),
        (["--database-schema", "Not-This"], "'Not-This' is no schema name"),
    ],
)
def test_bad_database_settings_are_refused_naming_the_flag_and_fix(
    argv: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        resolve_settings(build_parser().parse_args(argv), {})
    assert ":pw@" not in str(caught.value)
