"""A PostgreSQL server for the tests of `PostgresStore`: the one named by
`MAILTRAP_TEST_DATABASE_URL`, or a throwaway cluster from Debian's binaries.

The throwaway cluster lives in a temporary directory: `initdb` writes it, `pg_ctl` starts it
listening on a unix socket in that directory only (no TCP port, so parallel xdist workers, each
with a cluster of its own, cannot collide), and it is stopped and removed when the block ends.
PostgreSQL refuses to run as root, so under root every command runs as the `postgres` user
(Debian's package creates it) and the directory is handed to that user. `fsync=off`: the
tests need no durability across an OS crash, and a shared CI machine's disk would otherwise
decide their speed.

`.ci/run` installs the `postgresql` package. Without it (and without the URL) the tests that
need PostgreSQL skip locally and fail under CI (`tools.require_tool`'s rule).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tools import missing

__all__ = [
    "URL_VARIABLE",
    "Cluster",
    "drop_schema",
    "new_schema",
    "postgres_bin",
    "test_database",
    "throwaway_cluster",
]

URL_VARIABLE = "MAILTRAP_TEST_DATABASE_URL"
START_SECONDS = 60  # pg_ctl's own wait; a cluster starts in about a second
STOP_SECONDS = 30
# UTF-8 and the C locale whatever the machine's: the store's text is UTF-8, and sorting is
# done in Python. --no-sync: a throwaway cluster needs no flush to disk.
_INITDB = ("-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")


def postgres_bin() -> Path:
    """The directory of PostgreSQL's server programs (`initdb`, `pg_ctl`), newest version
    first; skips (fails under CI) when there is none."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path is None:
        missing(
            f"PostgreSQL is not installed and {URL_VARIABLE} is not set; install Debian's "
            f"postgresql package (apt-get install postgresql) or set {URL_VARIABLE} to a "
            "database the tests may create schemas in"
        )
    return Path(on_path).parent  # type: ignore[arg-type]


def _as_owner(argv: list[str]) -> list[str]:
    """`argv` run as the `postgres` user when this process is root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def _run(argv: list[str], *, timeout: float) -> None:
    done = subprocess.run(
        _as_owner(argv), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode:
        raise RuntimeError(
            f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )


class Cluster:
    """A throwaway cluster in `home`: `url` to connect, `stop(mode)` and `start()` for tests of
    outages (`mode` as pg_ctl's -m: fast, or immediate for a crash)."""

    def __init__(self, bin_dir: Path, home: Path) -> None:
        self._bin = bin_dir
        self.home = home
        self.data = home / "data"
        self.url = f"postgresql://postgres@/postgres?host={home}"

    def start(self) -> None:
        settings = f"-k {self.home} -c listen_addresses='' -c fsync=off -c max_connections=200"
        start = [str(self._bin / "pg_ctl"), "start", "-D", str(self.data)]
        start += ["-l", str(self.home / "server.log"), "-w", "-t", str(START_SECONDS)]
        _run([*start, "-o", settings], timeout=START_SECONDS + 10)

    def stop(self, mode: str = "fast") -> None:
        stop = [str(self._bin / "pg_ctl"), "stop", "-D", str(self.data), "-m", mode, "-w"]
        _run([*stop, "-t", str(STOP_SECONDS)], timeout=STOP_SECONDS + 10)


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A new, running PostgreSQL cluster until the block ends (user `postgres`, trust
    authentication over the unix socket in the cluster's directory)."""
    bin_dir = postgres_bin()
    home = Path(tempfile.mkdtemp(prefix="mailtrap-pg-"))
    try:
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(home, owner.pw_uid, owner.pw_gid)
        cluster = Cluster(bin_dir, home)
        initdb = [str(bin_dir / "initdb"), "-D", str(cluster.data), "-U", "postgres"]
        _run([*initdb, "-A", "trust", *_INITDB], timeout=START_SECONDS)
        cluster.start()
        try:
            yield cluster
        finally:
            with contextlib.suppress(RuntimeError):  # a test may have left it stopped
                cluster.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def test_database() -> Iterator[str]:
    """The URL of a PostgreSQL database the tests may create schemas in, for as long as the
    block runs: `MAILTRAP_TEST_DATABASE_URL`, else a throwaway cluster."""
    url = os.environ.get(URL_VARIABLE)
    if url:
        yield url
        return
    with throwaway_cluster() as cluster:
        yield cluster.url


def new_schema() -> str:
    """A schema name no other test (or xdist worker, or run on a shared database) uses."""
    return f"test_{secrets.token_hex(6)}"


def drop_schema(url: str, schema: str) -> None:
    """Remove `schema` and everything in it."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
