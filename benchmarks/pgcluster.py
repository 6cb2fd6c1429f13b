"""A PostgreSQL database for the benchmarks: the one at `--database-url`, or a throwaway
cluster started here with Debian's `initdb` and `pg_ctl`.

The throwaway cluster lives in a temporary directory and listens on a unix socket there only
(no TCP port to collide with anything), and is stopped and removed when the block ends. Its
locale is C.UTF-8 where the system has it (`_locale`).
PostgreSQL refuses to run as root, so under root its programs run as the `postgres` user
(Debian's `postgresql` package creates it). It runs with the server's default settings but
`fsync=off`, so the figures are the database's, not the disk's; `durable=True` keeps fsync on,
for a benchmark whose figure includes the flush a commit waits for (`ingest.py`).

Each benchmark works in a schema of its own (`fresh_schema`), dropped at the end, so a shared
server is left as it was found.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
from psycopg import sql

__all__ = ["MISSING", "database", "fresh_schema", "server_cpu"]

# How the message begins that a script prints (to stderr, then exits with status 2) when it
# needs a cluster and cannot start one.
MISSING = "PostgreSQL's initdb is not installed"


def _bin_dir() -> Path:
    """The newest installed PostgreSQL's server programs; if there are none, says so and how
    to install them (`MISSING`...) and exits with status 2."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    found.sort(key=lambda p: int(n) if (n := Path(p).parent.parent.name).isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    print(
        f"{MISSING}; apt-get install postgresql, or pass --database-url for a server "
        "this user may create schemas on",
        file=sys.stderr,
    )
    raise SystemExit(2)


def _run(argv: list[str]) -> None:
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")


def _locale() -> str:
    """C.UTF-8 where the system has it, else C. A server's locale is UTF-8 as a rule (Debian's
    clusters take the system's, the Docker image's is en_US.utf8), and pg_trgm reads letters
    by it: in the C locale it finds no trigram in Greek or CJK, and searches for them scan."""
    found = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False)
    names = {name.lower().replace("-", "") for name in found.stdout.split()}
    return "C.UTF-8" if "c.utf8" in names else "C"


def _exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _throwaway(*, durable: bool) -> Iterator[str]:
    bin_dir = _bin_dir()
    home = Path(tempfile.mkdtemp(prefix="mailtrap-bench-pg-"))
    data = home / "data"
    try:
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(home, owner.pw_uid, owner.pw_gid)
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
        _run([*initdb, "-E", "UTF8", f"--locale={_locale()}", "--no-sync", "--no-instructions"])
        # SIGTERM (a timeout's kill) unwinds like ^C, so that the cluster is stopped.
        signal.signal(signal.SIGTERM, _exit)
        options = f"-k {home} -c listen_addresses=''" + ("" if durable else " -c fsync=off")
        log = str(home / "server.log")
        _run([str(bin_dir / "pg_ctl"), "start", "-D", str(data), "-l", log, "-w", "-o", options])
        try:
            yield f"postgresql://postgres@/postgres?host={home}"
        finally:
            _run([str(bin_dir / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w"])
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def database(url: str | None, *, durable: bool = False) -> Iterator[str]:
    """`url` if given, else the URL of a throwaway cluster that runs until the block ends
    (with fsync on if `durable`)."""
    if url:
        yield url
        return
    with _throwaway(durable=durable) as started:
        yield started


@contextlib.contextmanager
def fresh_schema(url: str, prefix: str) -> Iterator[str]:
    """A new schema's name (`prefix` and a random tag), dropped with its contents at the end."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        yield name
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def server_cpu(url: str) -> Callable[[], float] | None:
    """A function that reads the CPU seconds the PostgreSQL server at `url` has used so far
    (its postmaster's children: backends, background workers); None if that server runs
    elsewhere, so that this machine's /proc cannot see it."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        try:  # while connected: the backend ends with the connection
            fields = Path(f"/proc/{row[0]}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
    postmaster = int(fields[1])

    def used() -> float:
        total = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[1]) == postmaster:
                    total += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                continue  # it ended meanwhile
        return total

    return used
