"""The targets of benchmarks/ingest.py: where each is installed, how it is served on given
loopback ports, and how its API says how many messages it holds."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE = Path(os.environ.get("MAILTRAP_BENCH_CACHE", Path.home() / ".cache" / "mailtrap-bench"))
POSTFIX = CACHE / "postfix"
CACHED = {  # where each tool's install command puts it, when it is not on PATH
    "smtp-source": POSTFIX / "usr/sbin/smtp-source",
    "smtp-sink": POSTFIX / "usr/sbin/smtp-sink",
    "maildev": CACHE / "node/node_modules/.bin/maildev",
    "maildump": CACHE / "venv/bin/maildump",
}
REPO = Path(__file__).resolve().parents[1]
INSTALL = {
    "smtp-source": [[str(REPO / ".ci/install-smtp-source")]],
    "maildev": [["npm", "install", "--prefix", str(CACHE / "node"), "maildev@3.0.0"]],
    "maildump": [
        [sys.executable, "-m", "venv", str(CACHE / "venv")],
        [str(CACHE / "venv/bin/python"), "-m", "pip", "install", "-q", "maildump"],
    ],
}
INSTALL["smtp-sink"] = INSTALL["smtp-source"]
TARGETS = [
    "smtp-sink",
    "aiosmtpd-sink",
    "maildev",
    "maildump",
    "mailtrap",
    "mailtrap-memory",
    "mailtrap-asyncio",
    "mailtrap-hooks",
    "mailtrap-postgres",
    "mailtrap-postgres-2",
]
POSTGRES = ("mailtrap-postgres", "mailtrap-postgres-2")
# How many messages each catcher's own API says it holds: (URL path, reader of the JSON).
COUNTS: dict[str, tuple[str, Callable[[Any], int]]] = {
    "maildev": ("/api/email/summary?limit=1", lambda doc: doc["total"]),
    "maildump": ("/messages/", lambda doc: len(doc["messages"])),
    # Every mailtrap target answers the same API.
    **{
        t: ("/api/v1/messages?limit=1", lambda doc: doc["total"])
        for t in TARGETS
        if t.startswith("mailtrap")
    },
}


def locate(tool: str) -> Path | None:
    """`tool` on PATH, else where its install command puts it, else None."""
    found = shutil.which(tool)
    if found:
        return Path(found)
    return CACHED[tool] if CACHED[tool].exists() else None


def postfix_env() -> dict[str, str]:
    # A Postfix unpacked by .ci/install-smtp-source keeps its shared libraries beside it.
    return {**os.environ, "LD_LIBRARY_PATH": str(POSTFIX / "usr/lib/postfix")}


def command(
    target: str,
    smtp: int,
    http: int,
    tmp: Path,
    *,
    hook: int = 0,
    database: list[str] | None = None,
) -> list[str]:
    """The argv that serves `target` on the given loopback ports (installed: see `locate`);
    `hook` is the port of mailtrap-hooks' webhook receiver, `database` the --database-url and
    --database-schema options of the PostgreSQL targets."""
    listen = ["--smtp", f"127.0.0.1:{smtp}", "--http", f"127.0.0.1:{http}", "--max-messages", "0"]
    if target in POSTGRES:
        return [sys.executable, "-m", "mailtrap", "serve", *listen, *(database or [])]
    if target == "mailtrap":
        return [sys.executable, "-m", "mailtrap", "serve", *listen, "--db", str(tmp / "mail.db")]
    if target == "mailtrap-hooks":
        db = ["--db", str(tmp / "mail.db")]
        hooked = ["--webhook-url", f"http://127.0.0.1:{hook}/hook"]
        return [sys.executable, "-m", "mailtrap", "serve", *listen, *db, *hooked]
    if target == "mailtrap-asyncio":
        db = ["--db", str(tmp / "mail.db")]
        return [sys.executable, "-m", "mailtrap", "serve", *listen, *db, "--loop", "asyncio"]
    if target == "mailtrap-memory":
        return [sys.executable, "-m", "mailtrap", "serve", *listen, "--memory"]
    if target == "aiosmtpd-sink":
        return [sys.executable, str(Path(__file__).with_name("aiosmtpd_sink.py")), str(smtp)]
    if target == "smtp-sink":  # as root it must be told whom to drop privileges to
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        return [str(locate("smtp-sink")), *user, f"127.0.0.1:{smtp}", "1000"]
    if target == "maildump":
        ports = ["--smtp-port", str(smtp), "--http-port", str(http)]
        return [str(locate("maildump")), "-f", *ports]
    ips = ["--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--silent"]
    mail_dir = ["--mail-directory", str(tmp / "maildev")]
    return [str(locate("maildev")), "-s", str(smtp), "-w", str(http), *ips, *mail_dir]


def count(target: str, http: int) -> int:
    """How many messages `target`'s API lists; OSError or ValueError while it cannot tell."""
    path, read = COUNTS[target]
    with urllib.request.urlopen(f"http://127.0.0.1:{http}{path}", timeout=10) as reply:
        try:
            return int(read(json.load(reply)))
        except (KeyError, TypeError) as error:
            raise ValueError(f"GET {path} answered without the count ({error!r})") from None


def wait_ready(target: str, proc: subprocess.Popen[bytes], smtp: int, http: int) -> None:
    """Until SMTP takes connections and, for a catcher, its API answers; 30 s at most."""
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with code {proc.returncode} before it was ready")
        try:
            socket.create_connection(("127.0.0.1", smtp), timeout=1).close()
            if target in COUNTS:
                count(target, http)
            return
        except (OSError, ValueError) as error:
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready after 30 s: {error}") from None
            time.sleep(0.05)


@dataclass
class Postgres:
    """The server of the PostgreSQL targets: its URL, and what reads its CPU seconds (None
    when it runs elsewhere)."""

    url: str
    cpu: Callable[[], float] | None


def postgres_missing(url: str | None) -> str | None:
    """Why the PostgreSQL targets cannot run here (and the fix), or None when they can."""
    try:
        import psycopg  # noqa: F401  (pgcluster.py needs it)
    except ImportError:
        return "psycopg is not installed: pip install 'mailtrap-catcher[postgres]'"
    if url is None and not (
        glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb")
    ):
        return "PostgreSQL is not installed (apt-get install postgresql), nor --database-url given"
    return None
