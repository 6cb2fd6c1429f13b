"""`mailtrap-sendmail`, run as programs run /usr/sbin/sendmail: a subprocess with the message
on stdin, against `mailtrap serve`; what arrived is read back through the HTTP API."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import serving
from ports import unused_ports
from tools import require_tool

from mailtrap import Client, Message

SCRIPT = Path(sys.executable).with_name("mailtrap-sendmail")


@pytest.fixture(scope="module")
def server() -> Iterator[serving.Running]:
    running = serving.start("--memory")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(server: serving.Running) -> Client:
    return Client(server.url)


def sendmail(
    server: serving.Running | None, *args: str, stdin: bytes, command: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The console script (or `command`), pointed at `server` by MAILTRAP_SMTP_ADDR."""
    assert SCRIPT.exists(), f"{SCRIPT} is missing: install the project (pip install -e .)"
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LOGNAME": "www-data"}
    if server is not None:
        env["MAILTRAP_SMTP_ADDR"] = "{}:{}".format(*server.smtp)
    for name in serving.UNTRACED:  # coverage, in a run that measures it
        if name in os.environ:
            env[name] = os.environ[name]
    done = subprocess.run(
        [*(command or [str(SCRIPT)]), *args],
        input=stdin,  # bytes, as a program pipes them
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    return subprocess.CompletedProcess(done.args, done.returncode, "", done.stderr.decode())


def arrived(client: Client, subject: str) -> Message:
    [summary] = client.wait(f'subject:"{subject}"', timeout=10)
    return client.get(summary.id)


def test_php_mail_with_t_and_i_and_bare_lfs(server: serving.Running, client: Client) -> None:
    """As PHP's mail() pipes to `sendmail -t -i`: LF line ends, recipients in the headers,
    a body with a lone dot and lines that start with one."""
    subject = f"php {uuid.uuid4().hex[:8]}"
    message = (
        f"To: Alice <alice@example.com>, bob@example.com\n"
        f"Cc: carol@example.com\nBcc: dave@example.com\nSubject: {subject}\n"
        "X-PHP-Originating-Script: 1000:mail.php\n\n"
        "first line\n.\n..two dots\n.one dot\nlast line\n"
    ).encode()
    done = sendmail(server, "-t", "-i", stdin=message)
    assert (done.returncode, done.stderr) == (0, "")
    mail = arrived(client, subject)
    assert mail.envelope.rcpt_tos == (
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
        "dave@example.com",
    )
    assert mail.envelope.mail_from.startswith("www-data@")  # sendmail's default: USER@HOST
    raw = client.raw(mail.id)
    assert b"\n" not in raw.replace(b"\r\n", b"")  # every line end went out as CRLF
    assert b"\r\n\r\nfirst line\r\n.\r\n..two dots\r\n.one dot\r\nlast line\r\n" in raw
    assert mail.text == "first line\n.\n..two dots\n.one dot\nlast line\n"
    assert mail.raw_headers.get("Bcc") is None  # removed, as sendmail -t does
    assert mail.headers.get("X-PHP-Originating-Script") == "1000:mail.php"
    for added in ("From", "Date", "Message-ID"):  # as an MTA adds them when missing
        assert mail.headers.get(added) is not None


def test_recipients_as_arguments_with_f_and_full_name(
    server: serving.Running, client: Client
) -> None:
    subject = f"args {uuid.uuid4().hex[:8]}"
    message = f"Subject: {subject}\r\nTo: shown@example.com\r\n\r\nhello\r\n".encode()
    done = sendmail(
        server,
        "-oi",
        "-odi",
        "-oem",
        "-fbounce@example.com",
        "-F",
        "Cron Daemon",
        "--",
        "one@example.com",
        "Two <two@example.com>, three@example.com",
        stdin=message,
    )
    assert (done.returncode, done.stderr) == (0, "")
    mail = arrived(client, subject)
    assert mail.envelope.mail_from == "bounce@example.com"
    # Without -t the headers' To is not a recipient; the arguments are.
    assert mail.envelope.rcpt_tos == ("one@example.com", "two@example.com", "three@example.com")
    assert mail.headers.get("From") == "Cron Daemon <bounce@example.com>"


def test_without_i_a_lone_dot_ends_the_message(server: serving.Running, client: Client) -> None:
    subject = f"dot {uuid.uuid4().hex[:8]}"
    message = f"Subject: {subject}\n\nbefore\n.\nafter\n".encode()
    done = sendmail(server, "user@example.com", stdin=message)
    assert done.returncode == 0, done.stderr
    assert arrived(client, subject).text == "before\n"


def test_the_mailtrap_sendmail_subcommand_is_the_same(
    server: serving.Running, client: Client
) -> None:
    subject = f"sub {uuid.uuid4().hex[:8]}"
    message = f"From: app@example.com\nSubject: {subject}\n\n8-bit: caf\xe9\n".encode("latin-1")
    command = [sys.executable, "-m", "mailtrap", "sendmail"]
    done = sendmail(server, "-t", "-i", "user@example.com", stdin=message, command=command)
    assert (done.returncode, done.stderr) == (0, "")
    mail = arrived(client, subject)
    assert mail.envelope.mail_from == "www-data@" + mail.envelope.mail_from.split("@")[1]
    assert client.raw(mail.id).endswith(b"8-bit: caf\xe9\r\n")  # the bytes, unchanged


def test_server_down_is_tempfail_75() -> None:
    port = unused_ports()[0]  # nobody listens there
    done = sendmail(None, "--smtp-addr", f"127.0.0.1:{port}", "a@example.com", stdin=b"Hi\n\nx\n")
    assert done.returncode == 75
    assert f"cannot reach mailtrap's SMTP server at 127.0.0.1:{port}" in done.stderr
    assert "MAILTRAP_SMTP_ADDR" in done.stderr


def test_refusals_map_to_sysexits(server: serving.Running, client: Client) -> None:
    rules = [
        {"Stage": "rcpt", "Code": 550, "Text": "no such user", "Times": 1},
        {"Stage": "data", "Code": 451, "Text": "try later", "Times": 1},
    ]
    client.add_chaos_rules(rules[:1])
    try:
        refused = sendmail(server, "nobody@example.com", stdin=b"Subject: x\n\nx\n")
    finally:
        client.remove_chaos_rules(rules[:1])
    assert refused.returncode == 67  # EX_NOUSER
    assert "refused every recipient: 550 no such user" in refused.stderr
    client.add_chaos_rules(rules[1:])
    try:
        deferred = sendmail(server, "later@example.com", stdin=b"Subject: x\n\nx\n")
    finally:
        client.remove_chaos_rules(rules[1:])
    assert deferred.returncode == 75  # EX_TEMPFAIL: try again
    assert "451 try later" in deferred.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "code", "saying"),
    [
        (["-bs"], b"", 64, "only sending a message (-bm) is supported"),
        (["-q"], b"", 64, "there is no queue"),
        (["-x", "a@example.com"], b"", 64, "unknown option -x"),
        ([], b"Subject: x\n\nx\n", 64, "no recipients: name them as arguments, or pass -t"),
        (["-t"], b"Subject: x\n\nx\n", 65, "no recipients in the To, Cc or Bcc headers"),
        (["a@example.com\r\nRCPT TO:<b@example.com>"], b"", 64, "is not an e-mail address"),
        (["--smtp-addr", "nowhere", "a@example.com"], b"", 64, "--smtp-addr: 'nowhere' is not"),
        (["--smtp-addr=[::1", "a@example.com"], b"", 64, "--smtp-addr: '[::1' is not [IPv6]"),
        (["--smtp-address", "a@example.com"], b"", 64, "unknown option '--smtp-address'"),
        (["--verbose"], b"", 64, "unknown option '--verbose'"),
        (["-f"], b"", 64, "-f needs a value"),
        (["-o"], b"", 64, "-o needs an option letter, e.g. -oi"),
        (["-i", "not an address"], b"", 64, "recipient 'not an address' is not an e-mail"),
        (["--help"], b"", 0, "usage: mailtrap-sendmail [-t] [-i] [-f SENDER]"),
    ],
)
def test_bad_command_lines_and_messages(
    server: serving.Running, args: list[str], stdin: bytes, code: int, saying: str
) -> None:
    done = sendmail(server, *args, stdin=stdin)
    assert done.returncode == code
    assert saying in done.stderr


def test_cron_invocation(server: serving.Running, client: Client) -> None:
    """Debian's cron: `sendmail -FCronDaemon -i -B8BITMIME -oem USER`, its own headers."""
    subject = f"Cron <root@box> echo {uuid.uuid4().hex[:8]}"
    message = (
        f"From: root (Cron Daemon)\nTo: dev\nSubject: {subject}\n"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\nhello from cron\n"
    ).encode()
    done = sendmail(server, "-FCronDaemon", "-i", "-B8BITMIME", "-oem", "dev", stdin=message)
    assert (done.returncode, done.stderr) == (0, "")
    mail = arrived(client, subject)
    assert mail.envelope.rcpt_tos == ("dev",)
    assert mail.headers.get("From") == "root (Cron Daemon)"  # theirs: only a missing one is added
    assert mail.text == "hello from cron\n"


def test_git_send_email(server: serving.Running, client: Client, tmp_path: Path) -> None:
    """git send-email with sendemail.sendmailcmd: git runs it with -i, -f and recipients."""
    git = require_tool("git", "apt-get install git")
    exec_path = subprocess.run(
        [git, "--exec-path"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    require_tool("git-send-email", "apt-get install git-email", search=exec_path)
    tag = uuid.uuid4().hex[:8]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),  # no one's own git config
        "GIT_CONFIG_NOSYSTEM": "1",
        **{k: os.environ[k] for k in serving.UNTRACED if k in os.environ},
    }
    identity = ["-c", "user.name=Dev", "-c", "user.email=dev@example.com"]

    def run(*args: str) -> str:
        done = subprocess.run(
            [git, *identity, *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("init", "-q", ".")
    (tmp_path / "feature.txt").write_text("a line\n.\n")
    run("add", "feature.txt")
    run("commit", "-q", "-m", f"Add the feature {tag}")
    [patch] = run("format-patch", "-1", "-o", "patches").split()
    command = f"{SCRIPT} --smtp-addr {server.smtp[0]}:{server.smtp[1]}"
    run(
        "-c",
        f"sendemail.sendmailcmd={command}",
        "send-email",
        "--to=reviewer@example.com",
        "--from=Dev <dev@example.com>",
        "--envelope-sender=bounces@example.com",
        "--suppress-cc=all",
        "--confirm=never",
        patch,
    )
    mail = arrived(client, f"[PATCH] Add the feature {tag}")
    assert mail.envelope.mail_from == "bounces@example.com"
    assert mail.envelope.rcpt_tos == ("reviewer@example.com",)
    assert "+a line\n+.\n" in mail.text  # the patch, whole
    raw = client.raw(mail.id)
    assert b"\n" not in raw.replace(b"\r\n", b"")
