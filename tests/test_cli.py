"""The `mailtrap` command: settings resolution, and the real server in a subprocess."""

from __future__ import annotations

import json
import re
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from serving import Running, start

from mailtrap.cli import build_parser, exposed_listeners, main, resolve_settings
from mailtrap.config import OPTIONS, Settings, default_db_path, parse_address
from mailtrap.flags import parse_spamd


def settings_for(argv: list[str], env: dict[str, str] | None = None) -> Settings:
    return resolve_settings(build_parser().parse_args(argv), env or {})


def test_defaults_are_loopback_sqlite_and_mailpit_ports() -> None:
    s = settings_for([])
    assert (s.smtp, s.http) == (("127.0.0.1", 1025), ("127.0.0.1", 8025))
    assert (s.memory, s.db, s.max_messages) == (False, None, 10_000)


def test_flags_beat_environment_which_beats_defaults() -> None:
    env = {
        "MAILTRAP_SMTP": "127.0.0.1:2525",
        "MAILTRAP_HTTP": "9000",
        "MAILTRAP_MAX_MESSAGES": "5",
        "MAILTRAP_MAX_MESSAGE_SIZE": "1M",
    }
    s = settings_for(["serve", "--smtp", "[::1]:2626"], env)
    assert s.smtp == ("::1", 2626)
    assert s.http == ("127.0.0.1", 9000)
    assert (s.max_messages, s.max_message_size) == (5, 1024 * 1024)


def test_memory_from_env_and_an_explicit_db_flag() -> None:
    assert settings_for([], {"MAILTRAP_MEMORY": "yes"}).memory is True
    s = settings_for(["--db", "/tmp/x.db"], {"MAILTRAP_MEMORY": "1"})
    assert (s.memory, s.db) == (False, Path("/tmp/x.db"))
    with pytest.raises(ValueError, match="--db and --memory"):
        settings_for(["--db", "/tmp/x.db", "--memory"])


@pytest.mark.parametrize(
    ("argv", "env", "names"),
    [
        ([], {"MAILTRAP_SMTP": "localhost"}, "MAILTRAP_SMTP: 'localhost' is not HOST:PORT"),
        ([], {"MAILTRAP_MEMORY": "maybe"}, "MAILTRAP_MEMORY: 'maybe' is not a boolean"),
        (["--http", "1.2.3.4:99999"], {}, "--http: port in '1.2.3.4:99999'"),
        (["--max-messages", "-3"], {}, "--max-messages: '-3' is not a whole number"),
        (["--max-message-size", "big"], {}, "--max-message-size: 'big' is not a size"),
        (["--log-level", "loud"], {}, "--log-level: 'loud' is not a log level"),
        (["--smtp-idle-timeout", "0"], {}, "--smtp-idle-timeout: '0' is not a number of seconds"),
        (["--smtp-idle-timeout", "nan"], {}, "'nan' is not a number of seconds above 0; use e.g."),
        ([], {"MAILTRAP_SMTP_IDLE_TIMEOUT": "5m"}, "MAILTRAP_SMTP_IDLE_TIMEOUT: '5m' is not a"),
        (["--chaos-seed", "-1"], {}, "--chaos-seed: '-1' is not a whole number of 0 or more"),
        ([], {"MAILTRAP_CHAOS_SEED": "abc"}, "MAILTRAP_CHAOS_SEED: 'abc' is not a whole number"),
    ],
)
def test_bad_values_name_the_flag_or_variable(
    argv: list[str], env: dict[str, str], names: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(names)):
        settings_for(argv, env)


def test_idle_timeout_and_chaos_seed_from_flags_and_environment() -> None:
    default = settings_for([])
    assert (default.smtp_idle_timeout, default.chaos_seed) == (300.0, None)
    env = {"MAILTRAP_SMTP_IDLE_TIMEOUT": "30", "MAILTRAP_CHAOS_SEED": "7"}
    from_env = settings_for([], env)
    assert (from_env.smtp_idle_timeout, from_env.chaos_seed) == (30.0, 7)
    flags = settings_for(["--smtp-idle-timeout", "0.5", "--chaos-seed", "0"], env)
    assert (flags.smtp_idle_timeout, flags.chaos_seed) == (0.5, 0)


def test_spamassassin_address_from_flag_and_environment() -> None:
    assert settings_for([]).smtp_spamassassin is None
    env = {"MAILTRAP_SMTP_SPAMASSASSIN": "spamd.internal:783"}
    assert settings_for([], env).smtp_spamassassin == ("spamd.internal", 783)
    flags = settings_for(["--smtp-spamassassin", "[::1]:7830"], env)
    assert flags.smtp_spamassassin == ("::1", 7830)
    # A spamd elsewhere is where mailtrap connects, not a listener exposed to the network.
    assert (
        exposed_listeners(settings_for(["--smtp-spamassassin", "0.0.0.0:783"]), web_login=False)
        == []
    )
    with pytest.raises(
        ValueError, match=re.escape("--smtp-spamassassin: 'spamd' is not HOST:PORT")
    ):
        settings_for(["--smtp-spamassassin", "spamd"])


def test_main_reports_bad_values_as_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--smtp", "nonsense"], environ={})
    assert exit_info.value.code == 2
    assert "--smtp: 'nonsense' is not HOST:PORT" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:25", ("127.0.0.1", 25)),
        ("[::1]:0", ("::1", 0)),
        ("2525", ("127.0.0.1", 2525)),
        ("0.0.0.0:1025", ("0.0.0.0", 1025)),
        (":1025", ("127.0.0.1", 1025)),
    ],
)
def test_parse_address(value: str, expected: tuple[str, int]) -> None:
    assert parse_address(value) == expected


def test_default_db_path_follows_each_platform_convention() -> None:
    assert default_db_path({"HOME": "/h"}, "linux") == Path("/h/.local/share/mailtrap/mail.db")
    assert default_db_path({"HOME": "/h", "XDG_DATA_HOME": "/x"}, "linux") == Path(
        "/x/mailtrap/mail.db"
    )
    assert default_db_path({"HOME": "/h"}, "darwin") == Path(
        "/h/Library/Application Support/mailtrap/mail.db"
    )
    assert default_db_path({"LOCALAPPDATA": "C:/L"}, "win32") == Path("C:/L/mailtrap/mail.db")


# -- the real command, in a subprocess (tests/support/serving.py) ------------------------------


def run_once(*args: str) -> subprocess.CompletedProcess[str]:
    """`mailtrap ARGS --http 127.0.0.1:0` that is expected to exit by itself."""
    return subprocess.run(
        [sys.executable, "-m", "mailtrap", *args, "--http", "127.0.0.1:0"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "mail.db"


def test_serve_captures_mail_keeps_it_across_restarts_and_stops_cleanly(db: Path) -> None:
    first = start("--db", str(db))
    try:
        assert f"SQLite at {db}" in first.banner
        for i in range(3):
            first.send(f"message {i}")
        listed = first.get("/api/v1/messages")
        assert [m["Subject"] for m in listed["messages"]] == ["message 2", "message 1", "message 0"]
        stats = first.get("/api/v1/info")["RuntimeStats"]
        assert stats["SMTPAccepted"] == 3
        assert stats["SMTPAcceptedSize"] > 0
    finally:
        code, err = first.stop(signal.SIGTERM)
    assert code == 0, err
    assert "mailtrap: stopped" in err

    second = start("--db", str(db))
    try:
        listed = second.get("/api/v1/messages")
        assert listed["total"] == 3
        latest = second.get("/api/v1/message/latest")
        assert latest["Subject"] == "message 2"
        with urllib.request.urlopen(second.url + "/livez", timeout=10) as response:
            assert response.read() == b"ok"
    finally:
        code, err = second.stop(signal.SIGINT)
    assert code == 0, err


def test_serve_in_memory(tmp_path: Path) -> None:
    running = start("--memory", env={"XDG_DATA_HOME": str(tmp_path)})
    try:
        assert "memory (lost on exit)" in running.banner
        running.send("kept in memory")
        assert running.get("/api/v1/messages")["total"] == 1
    finally:
        code, err = running.stop()
    assert code == 0, err
    assert not (tmp_path / "mailtrap").exists()


def test_default_db_lives_in_the_user_data_dir(tmp_path: Path) -> None:
    running = start(env={"XDG_DATA_HOME": str(tmp_path), "HOME": str(tmp_path)})
    try:
        assert f"SQLite at {tmp_path / 'mailtrap' / 'mail.db'}" in running.banner
    finally:
        running.stop()
    assert (tmp_path / "mailtrap" / "mail.db").exists()
    assert (tmp_path / "mailtrap").stat().st_mode & 0o777 == 0o700


def test_port_in_use_exits_1_naming_the_port_and_the_fix(db: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_once("--db", str(db), "--smtp", f"127.0.0.1:{port}")
    assert proc.returncode == 1
    assert f"cannot listen for SMTP on 127.0.0.1:{port}: the port is in use" in proc.stderr
    assert "pass another port, e.g. --smtp 127.0.0.1:2525" in proc.stderr


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not sqlite " * 200)
    proc = run_once("--db", str(bogus), "--smtp", "127.0.0.1:0")
    assert proc.returncode == 1
    assert f"cannot open {bogus} as a mailtrap database" in proc.stderr
    assert bogus.read_text() == "not sqlite " * 200  # and it was left alone


def test_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mailtrap", "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert out.stdout.strip().startswith("mailtrap 0.")


def test_api_readers_and_smtp_writers_run_together_without_errors(db: Path) -> None:
    running = start("--db", str(db))
    errors: list[BaseException] = []
    statuses: list[int] = []

    def write(n: int) -> None:
        try:
            with smtplib.SMTP(*running.smtp, timeout=30) as client:
                for i in range(50):
                    client.sendmail(
                        "w@example.com", ["r@example.com"], f"Subject: {n}-{i}\r\n\r\nx".encode()
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def read() -> None:
        try:
            for _ in range(40):
                with urllib.request.urlopen(running.url + "/api/v1/messages?limit=20") as r:
                    statuses.append(r.status)
                    json.load(r)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=read) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors
        assert statuses == [200] * 80
        assert running.get("/api/v1/messages?limit=1")["total"] == 200
    finally:
        code, err = running.stop()
    assert code == 0
    assert "locked" not in err, err
    assert "Traceback" not in err, err
    assert not Path(f"{db}-wal").exists()  # a clean close checkpoints and removes the WAL


def test_serve_with_starttls_smtps_and_auth(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path), "HOME": str(tmp_path)}
    running = start(
        "--memory",
        "--smtp-starttls",
        "--smtps",
        "127.0.0.1:0",
        "--smtp-auth",
        "app:s3cret",
        env=env,
    )
    try:
        smtps = re.search(r"SMTPS\s+(\S+):(\d+)", running.banner)
        ca = re.search(r"TLS CA (\S+)", running.banner)
        assert smtps, running.banner
        assert ca, running.banner
        assert "(STARTTLS, AUTH)" in running.banner
        assert ca.group(1) == str(tmp_path / "mailtrap" / "tls" / "ca.pem")
        context = ssl.create_default_context(cafile=ca.group(1))
        with smtplib.SMTP("localhost", running.smtp[1], timeout=10) as client:
            client.starttls(context=context)
            client.login("app", "s3cret")
            client.sendmail("app@example.com", ["b@example.com"], b"Subject: starttls\r\n\r\nx")
        with smtplib.SMTP_SSL("localhost", int(smtps.group(2)), context=context, timeout=10) as c:
            c.login("app", "s3cret")
            c.sendmail("app@example.com", ["b@example.com"], b"Subject: smtps\r\n\r\nx")
        listed = running.get("/api/v1/messages")["messages"]
        assert [(m["Subject"], m["Username"]) for m in listed] == [
            ("smtps", "app"),
            ("starttls", "app"),
        ]
    finally:
        code, err = running.stop()
    assert code == 0, err


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--smtp-tls-cert", "/tmp/x.pem"], "--smtp-tls-cert and --smtp-tls-key go together"),
        (["--smtp-auth-accept-any", "--smtp-auth", "a:b"], "--smtp-auth-accept-any accepts"),
        (["--smtp-auth", "nocolon"], "--smtp-auth: 'nocolon' is not USER:PASS"),
    ],
)
def test_contradictory_security_flags_are_usage_errors(argv: list[str], reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        settings_for(argv)


def test_repeatable_auth_flag_and_env_list() -> None:
    assert settings_for(["--smtp-auth", "a:1", "--smtp-auth", "b:2"]).smtp_auth == ("a:1", "b:2")
    assert settings_for([], {"MAILTRAP_SMTP_AUTH": "a:1, b:2"}).smtp_auth == ("a:1", "b:2")


def test_chaos_rules_from_flags_and_environment(tmp_path: Path) -> None:
    env_rules = settings_for([], {"MAILTRAP_CHAOS": "rcpt:451:times=1; mail:550"}).chaos
    assert [(r.stage, r.code, r.times) for r in env_rules] == [
        ("rcpt", 451, 1),
        ("mail", 550, None),
    ]
    with pytest.raises(ValueError, match="--chaos: 'helo:451'"):
        settings_for(["--chaos", "helo:451"])
    running = start("--memory", "--chaos", "rcpt:451:times=1", env={"XDG_DATA_HOME": str(tmp_path)})
    try:
        with smtplib.SMTP(*running.smtp, timeout=10) as client:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail("a@example.com", ["b@example.com"], b"Subject: 1\r\n\r\nx")
            client.rset()
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: 2\r\n\r\nx")
        assert running.get("/api/v1/chaos?extras=1")["Rules"] == []
        assert running.get("/api/v1/messages")["total"] == 1
    finally:
        running.stop()


def test_serve_with_a_short_idle_timeout_answers_421(tmp_path: Path) -> None:
    running = start(
        "--memory", env={"XDG_DATA_HOME": str(tmp_path), "MAILTRAP_SMTP_IDLE_TIMEOUT": "0.5"}
    )
    try:
        with socket.create_connection(running.smtp, timeout=10) as sock:
            assert sock.recv(1024).startswith(b"220 ")
            started, received = time.monotonic(), b""
            while chunk := sock.recv(1024):  # until the server hangs up
                received += chunk
            waited = time.monotonic() - started
        assert received.startswith(b"421 4.4.2"), received
        assert 0.3 < waited < 5
    finally:
        code, err = running.stop()
    assert code == 0, err


def test_chaos_seed_makes_probabilistic_rules_reproducible(tmp_path: Path) -> None:
    def serve(seed: str) -> Running:
        return start(
            "--memory",
            "--chaos",
            "rcpt:451:probability=0.5",
            "--chaos-seed",
            seed,
            env={"XDG_DATA_HOME": str(tmp_path)},
        )

    def outcomes(running: Running) -> list[bool]:
        accepted = []
        with smtplib.SMTP(*running.smtp, timeout=10) as client:
            for i in range(30):
                try:
                    client.sendmail("a@example.com", ["b@example.com"], f"Subject: {i}\r\n\r\nx")
                    accepted.append(True)
                except smtplib.SMTPRecipientsRefused:
                    accepted.append(False)
                    client.rset()
        assert running.get("/api/v1/messages")["total"] == sum(accepted)
        return accepted

    servers: list[Running] = []
    try:
        for seed in ("7", "7", "8"):
            servers.append(serve(seed))
        first, again, other = (outcomes(running) for running in servers)
    finally:
        for running in servers:
            running.stop()
    assert first == again
    assert 5 < first.count(False) < 25
    assert other != first  # a 1 in 2**30 coincidence otherwise


@pytest.mark.parametrize(
    ("flag", "what", "risk"),
    [
        ("--http", "web UI and API", "with no login: anyone who can reach it can read and delete"),
        ("--smtp", "SMTP server", "anyone who can reach it can put mail in this inbox"),
        ("--smtps", "SMTPS server", "anyone who can reach it can put mail in this inbox"),
    ],
)
def test_binding_beyond_loopback_warns_loudly(
    tmp_path: Path, flag: str, what: str, risk: str
) -> None:
    running = start(
        "--memory",
        flag,
        "0.0.0.0:0",
        "--allowed-hosts",
        "*",
        env={"XDG_DATA_HOME": str(tmp_path), "HOME": str(tmp_path)},  # --smtps makes a cert
    )
    try:
        warnings = re.findall(r"WARNING: the (.+?) listens on 0\.0\.0\.0:", running.banner)
        assert warnings == [what], running.banner  # only the listener that is exposed
        assert f"beyond this machine, {risk}" in running.banner
    finally:
        running.stop()


def test_every_listener_is_checked_for_exposure() -> None:
    # Every HOST:PORT option is a listener, including any added later; but for where spamd
    # listens, which mailtrap connects to.
    flags = [o.flag for o in OPTIONS if o.metavar == "HOST:PORT" and o.parse is not parse_spamd]
    argv = [arg for flag in flags for arg in (flag, "0.0.0.0:1")]
    exposed = exposed_listeners(settings_for(argv), web_login=False)
    assert len(exposed) == len(flags) >= 3
    assert {what for what, _, _ in exposed} >= {"web UI and API", "SMTP server", "SMTPS server"}
    guarded = {what for what, _, _ in exposed_listeners(settings_for(argv), web_login=True)}
    assert guarded == {what for what, _, _ in exposed} - {"web UI and API"}  # --ui-auth
    on_loopback = settings_for(["--smtps", "localhost:465", "--http", "[::1]:80"])
    assert exposed_listeners(on_loopback, web_login=False) == []


def test_a_second_serve_on_the_same_db_refuses_clearly(db: Path) -> None:
    first = start("--db", str(db))
    try:
        second = run_once("--db", str(db), "--smtp", "127.0.0.1:0")
        assert second.returncode == 1
        assert f"{db} is in use by another mailtrap (pid {first.proc.pid})" in second.stderr
    finally:
        first.stop()


def test_kill_9_loses_no_acknowledged_message(db: Path) -> None:
    """Every message that got a 250 is there exactly once after the process is killed
    mid-load, and every stored message is whole."""
    running = start("--db", str(db))
    senders = 4
    # acknowledged[s] == n: sender s got a 250 for its messages 0..n-1 (each thread writes
    # only its own slot, and only after the 250).
    acknowledged = [0] * senders
    stop = threading.Event()

    def body_of(subject: str) -> str:
        # Unique per message, so a truncated body, or one stored under another message's
        # headers, shows.
        return f"{subject} {'x' * 500}"

    def load(sender: int) -> None:
        try:
            with smtplib.SMTP(*running.smtp, timeout=10) as client:
                for n in range(5000):
                    if stop.is_set():
                        return
                    # Unique across senders: one sender's lost message cannot hide behind
                    # another sender's copy with the same subject.
                    subject = f"{sender}-{n}"
                    client.sendmail(
                        "a@example.com",
                        ["b@example.com"],
                        f"Subject: {subject}\r\n\r\n{body_of(subject)}\r\n".encode(),
                    )
                    acknowledged[sender] = n + 1
        except (smtplib.SMTPException, OSError):
            return  # the server died under us: expected

    threads = [threading.Thread(target=load, args=(s,)) for s in range(senders)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while sum(acknowledged) < 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    running.proc.kill()  # SIGKILL, mid-load
    running.proc.communicate(timeout=10)  # reaps it and closes the pipes (no ResourceWarning)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert sum(acknowledged) >= 200

    again = start("--db", str(db))
    try:
        # Every stored message, page by page: one page is capped at 1000.
        total = again.get("/api/v1/messages?limit=1")["total"]
        stored: list[dict[str, str]] = []
        while page := again.get(f"/api/v1/messages?start={len(stored)}&limit=1000")["messages"]:
            stored += page
        assert len(stored) == total

        doubled = [s for s, k in Counter(m["Subject"] for m in stored).items() if k > 1]
        assert not doubled, sorted(doubled)[:10]
        numbers: dict[int, list[int]] = {s: [] for s in range(senders)}
        for m in stored:
            assert re.fullmatch(r"\d+-\d+", m["Subject"]), m["Subject"]
            sender, n = map(int, m["Subject"].split("-"))
            numbers[sender].append(n)
        for sender, acked in enumerate(acknowledged):
            # Each sender sends its next message only after the 250 for the one before, so
            # the store holds exactly its acknowledged messages, plus at most the one it
            # had in flight when the process died (committed, but the 250 never arrived).
            held = sorted(numbers[sender])
            assert held in (list(range(acked)), list(range(acked + 1))), (
                f"sender {sender}: {acked} acknowledged, stored {held[:5]}..{held[-5:]}"
                f" ({len(held)} messages; lost: {sorted(set(range(acked)) - set(held))[:10]})"
            )

        for m in stored:  # whole: every stored message's raw source parses completely
            with urllib.request.urlopen(f"{again.url}/api/v1/message/{m['ID']}/raw") as r:
                raw = r.read()
            parsed = BytesParser(policy=policy.default).parsebytes(raw)
            assert not parsed.defects, (m["Subject"], parsed.defects)
            assert parsed["Subject"] == m["Subject"]
            assert raw.endswith(f"\r\n\r\n{body_of(m['Subject'])}\r\n".encode()), raw[-80:]
    finally:
        again.stop()


def test_no_warning_when_the_web_side_requires_a_login(tmp_path: Path) -> None:
    running = start(
        "--memory",
        "--http",
        "0.0.0.0:0",
        "--allowed-hosts",
        "*",
        "--ui-auth",
        "dev:s3cret",
        env={"XDG_DATA_HOME": str(tmp_path)},
    )
    try:
        assert "WARNING" not in running.banner
        with urllib.request.urlopen(running.url.replace("0.0.0.0", "127.0.0.1") + "/livez") as r:
            assert r.read() == b"ok"
    finally:
        running.stop()
