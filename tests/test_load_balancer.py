"""README's "Sharing one inbox", run as written: its database set-up (a role owning a
database, which then makes its schema and the trigram index), and its HAProxy configuration in
front of two `mailtrap serve` instances sharing one PostgreSQL schema: SMTP through it lands
mail via both instances, the API through it lists all of it, a `/api/v1/wait` through it is
answered, an event socket through it hears the `new` events of mail sent through it, and under
16 clients at once each instance holds at most the 10 connections README states.

The block is taken from README.md literally; only its addresses change, line by line:
`^(\\s+bind\\s+)\\S+` (a frontend's listening address) becomes a free loopback port, and
`^(\\s+server\\s+(\\S+)\\s+)\\S+` (server NAME ADDRESS) the address of that instance's SMTP or
HTTP listener, chosen by the section (`frontend`/`backend NAME`) the line is in. Everything
else (modes, balancing, health checks, timeouts) runs as documented.

Debian's `haproxy` package (`.ci/run` installs it); without it the test skips, and fails
under CI.
"""

from __future__ import annotations

import json
import os
import re
import smtplib
import socket
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
from ports import unused_ports
from postgres import postgres_bin, throwaway_cluster
from serving import Running, start
from tools import require_tool
from websockets.sync.client import ClientConnection, connect

from mailtrap.smtp.handler import DEFAULT_IDLE_TIMEOUT
from mailtrap.storage.postgres import PostgresStore
from mailtrap.web.wait import MAX_WAIT

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = re.compile(r"^(frontend|backend)\s+(\S+)")
BIND = re.compile(r"^(\s+bind\s+)\S+")
SERVER = re.compile(r"^(\s+server\s+(\S+)\s+)\S+")
TIMEOUT = re.compile(r"^\s+timeout\s+(\S+)\s+(\d+)(ms|s|m|h)$", re.MULTILINE)
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
FIRST_CHECKS = 3.0  # seconds: HAProxy spreads the first checks over `inter` (2 s)


def readme_block(language: str) -> str:
    """The one ```language block of README's "Sharing one inbox" section."""
    section = README.read_text().split("### Sharing one inbox\n", 1)[1].split("\n## ", 1)[0]
    blocks: list[str] = re.findall(rf"```{language}\n(.+?)\n```", section, re.DOTALL)
    assert len(blocks) == 1, f"README's Sharing one inbox should hold one {language} block"
    return blocks[0] + "\n"


def readme_config() -> str:
    return readme_block("haproxy")


def localized(config: str, binds: dict[str, str], servers: dict[tuple[str, str], str]) -> str:
    """`config` with each `bind` address of frontend F replaced by `binds[F]`, and each
    `server S ADDRESS` of backend B by `servers[B, S]`; every one of them must be replaced."""
    out: list[str] = []
    section = ""
    replaced: set[str | tuple[str, str]] = set()
    for line in config.splitlines():
        if found := SECTION.match(line):
            section = found.group(2)
        if found := BIND.match(line):
            out.append(found.group(1) + binds[section])
            replaced.add(section)
        elif found := SERVER.match(line):
            out.append(found.group(1) + servers[section, found.group(2)] + line[found.end() :])
            replaced.add((section, found.group(2)))
        else:
            out.append(line)
    assert replaced == set(binds) | set(servers), f"not in README's block: {replaced}"
    return "\n".join(out) + "\n"


def require_postgres() -> None:
    """Skip (fail under CI) without PostgreSQL's server programs: the set-up test makes roles
    and databases, so it needs a cluster of its own."""
    postgres_bin()


def _haproxy() -> str:
    path = os.environ.get("PATH", os.defpath) + ":/usr/sbin:/usr/local/sbin"
    return require_tool(
        "haproxy", "install Debian's haproxy package (apt-get install haproxy)", path
    )


def _listening(port: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing listens on port {port}"
            time.sleep(0.05)


def _send(port: int, subject: str) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(
            "app@example.com", ["user@example.com"], f"Subject: {subject}\r\n\r\nhi".encode()
        )


def _next_new(ws: ClientConnection, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        event = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if event["Type"] == "new":
            return event["Data"]  # type: ignore[no-any-return]


def _held_under_load(postgres_url: str, balancer: str, instances: list[str]) -> list[Counter[str]]:
    """Samples, while 16 clients search through `balancer` at once, of the connections each of
    `instances` holds ("writer", "reader", "listener": its application_names), one Counter an
    instance a sample."""
    names = {
        f"mailtrap {role} {instance}"[:63]: (n, role)
        for n, instance in enumerate(instances)
        for role in ("writer", "reader", "listener")
    }
    samples: list[Counter[str]] = []

    def read() -> None:
        with httpx.Client(base_url=balancer, timeout=30) as client:
            for _ in range(5):
                assert client.get("/api/v1/search", params={"query": "balanced"}).is_success

    with psycopg.connect(postgres_url, autocommit=True) as sampler:

        def sample() -> None:
            held = [Counter[str]() for _ in instances]
            for name, count in sampler.execute(
                "SELECT application_name, count(*) FROM pg_stat_activity"
                " WHERE application_name = ANY(%s) GROUP BY 1",
                (list(names),),
            ).fetchall():
                n, role = names[name]
                held[n][role] = int(count)
            samples.extend(held)

        clients = [threading.Thread(target=read) for _ in range(16)]
        for t in clients:
            t.start()
        while any(t.is_alive() for t in clients):
            sample()
            time.sleep(0.02)
        for t in clients:
            t.join(timeout=60)
        sample()
    return samples


def test_the_readme_haproxy_config_balances_smtp_http_and_the_event_socket(
    postgres_url: str, schema: str, tmp_path: Path
) -> None:
    haproxy = _haproxy()
    shared = ("--database-url", postgres_url, "--database-schema", schema)
    instances: list[Running] = []
    proc: subprocess.Popen[bytes] | None = None
    try:
        with ThreadPoolExecutor(2) as pool:  # each takes a second or two to start
            for started in [pool.submit(start, *shared) for _ in range(2)]:
                instances.append(started.result())
        a, b = instances
        smtp_port, web_port = unused_ports(2)
        config = localized(
            readme_config(),
            {"smtp": f"127.0.0.1:{smtp_port}", "web": f"127.0.0.1:{web_port}"},
            {
                ("mailtrap-smtp", "a"): "{}:{}".format(*a.smtp),
                ("mailtrap-smtp", "b"): "{}:{}".format(*b.smtp),
                ("mailtrap-web", "a"): a.url.removeprefix("http://"),
                ("mailtrap-web", "b"): b.url.removeprefix("http://"),
            },
        )
        path = tmp_path / "haproxy.cfg"
        path.write_text(config)
        checked = subprocess.run(
            [haproxy, "-c", "-f", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        with (tmp_path / "haproxy.log").open("wb") as log:  # the child keeps its own copy
            proc = subprocess.Popen([haproxy, "-db", "-f", str(path)], stdout=log, stderr=log)
        checks_due = time.monotonic() + FIRST_CHECKS
        _listening(smtp_port)
        _listening(web_port)
        balancer = f"http://127.0.0.1:{web_port}"

        with connect(f"ws://127.0.0.1:{web_port}/api/events") as ws:
            assert json.loads(ws.recv(timeout=10))["Type"] == "stats"
            # Round robin: one of each two connections reaches the instance holding the
            # socket, the other the one that must tell it through the database.
            for n in range(2):
                _send(smtp_port, f"balanced {n}")
                assert _next_new(ws, 5)["Subject"] == f"balanced {n}"
        for n in range(2, 4):
            _send(smtp_port, f"balanced {n}")

        accepted = [r.get("/api/v1/info")["RuntimeStats"]["SMTPAccepted"] for r in instances]
        assert sum(accepted) == 4
        assert min(accepted) >= 1, f"the balancer sent every message to one instance: {accepted}"

        # Each request is balanced on its own: consecutive ones reach both instances.
        for _ in range(2):
            listed = httpx.get(f"{balancer}/api/v1/messages", timeout=10).json()
            assert [m["Subject"] for m in listed["messages"]] == [
                f"balanced {n}" for n in (3, 2, 1, 0)
            ]
        answered = {
            httpx.get(f"{balancer}/api/v1/info?extras=1", timeout=10).json()["Instance"]
            for _ in range(2)
        }
        assert len(answered) == 2, "the balancer sent every request to one instance"

        # A long-poll through the balancer is answered by mail sent through it.
        answer: list[httpx.Response] = []
        waiter = threading.Thread(
            target=lambda: answer.append(
                httpx.get(
                    f"{balancer}/api/v1/wait",
                    params={"query": "subject:waited", "timeout": 10},
                    timeout=30,
                )
            )
        )
        waiter.start()
        time.sleep(0.3)  # the waiter has searched once and sleeps
        _send(smtp_port, "waited for")
        waiter.join(timeout=15)
        assert answer, "the wait through the balancer did not answer"
        assert answer[0].status_code == 200
        assert answer[0].json()["messages"][0]["Subject"] == "waited for"

        # README's "Connections": one writer, one listener and at most 8 readers an instance,
        # however many requests run at once.
        held = _held_under_load(postgres_url, balancer, sorted(answered))
        assert all(h["writer"] == 1 and h["listener"] == 1 for h in held), held
        assert max(h.total() for h in held) <= 10, held
        assert max(h["reader"] for h in held) > 1, f"the pools never grew: no load? {held}"

        # HAProxy marks a server DOWN at its first failed check, and says so (a check that
        # cannot pass, such as one without a Host the guard accepts, shows here).
        time.sleep(max(0.0, checks_due - time.monotonic()))
        said = (tmp_path / "haproxy.log").read_text()
        assert "DOWN" not in said, said
        assert "ALERT" not in said, said
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(Running.stop, instances))


def test_the_readme_balancer_timeouts_outlast_idle_smtp_and_the_longest_wait() -> None:
    """`timeout client` and `timeout server` above mailtrap's SMTP idle timeout (so a client
    gets mailtrap's 421, not a cut) and /api/v1/wait's longest wait (so no 504)."""
    timeouts = {
        name: int(value) * UNITS[unit] for name, value, unit in TIMEOUT.findall(readme_config())
    }
    for name in ("client", "server"):
        assert timeouts[name] > DEFAULT_IDLE_TIMEOUT, name
        assert timeouts[name] > MAX_WAIT, name
    assert timeouts["tunnel"] > 20, "uvicorn pings an event socket every 20 s"
    assert f"{DEFAULT_IDLE_TIMEOUT:g} s" in README.read_text().split("```haproxy", 1)[1]


def test_the_readme_database_set_up_lets_mailtrap_make_its_schema_and_trigram_index() -> None:
    """README's SQL, run by an administrator on a new cluster, is all an instance needs: as
    that role it makes its schema, and installs pg_trgm for the search index itself."""
    require_postgres()
    setup = readme_block("sql")
    role = re.search(r"CREATE ROLE (\w+) LOGIN PASSWORD '([^']+)'", setup)
    database = re.search(r"CREATE DATABASE (\w+) OWNER", setup)
    assert role is not None
    assert database is not None
    with throwaway_cluster() as cluster:
        with psycopg.connect(cluster.url, autocommit=True) as admin:
            for statement in filter(str.strip, setup.split(";")):
                admin.execute(statement.encode())
        user, password = role.groups()
        url = cluster.url.replace(
            "postgres@/postgres", f"{user}:{password}@/{database.group(1)}", 1
        )
        PostgresStore(url, schema="team_a").close()
        with psycopg.connect(url) as conn:
            indexes = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE schemaname = 'team_a' AND indexdef LIKE '%gin_trgm_ops%'"
            ).fetchall()
            owner = conn.execute(
                "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'team_a'"
            ).fetchone()
        # The search indexes (schema/0003...): none, if the role could not install pg_trgm.
        assert sorted(name for name, _ in indexes) == ["search_body", "search_fields"]
        assert owner == (user,)
