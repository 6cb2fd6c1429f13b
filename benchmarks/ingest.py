#!/usr/bin/env python3
"""Side-by-side SMTP ingest: mailtrap and peer mail catchers, loaded the same way in one run.

    python benchmarks/ingest.py [--messages 20000] [--sessions 20] [--size 2048]
                                [--new-connections] [--timeout 300] [--target NAME ...]
                                [--database-url URL] [--install] [--json]

Each target starts fresh on free loopback ports and Postfix's smtp-source (a C load generator)
sends it the messages. A catcher's rate is messages / seconds from the first message sent until
its own HTTP API shows every one of them (polled only after smtp-source is done, so the polling
does not compete with the load); a run where some never show does not count. A sink has no
API: its rate is what it accepted. Ratios of each mailtrap target to each peer (and of each
mailtrap-postgres target to `mailtrap`, SQLite) come from this one run only, because figures
from separate runs on a shared machine vary by 10 to 20%.
`CPU us/msg` is the CPU time the target's processes used over the same span, per message:
steadier than the rates where other work shares the machine. `DB us/msg` is the same for the
PostgreSQL server of the mailtrap-postgres targets (all its processes): the throwaway cluster's
only, not a --database-url server's.

Targets, and how each is installed (`--install` runs these for the targets asked for;
MAILTRAP_BENCH_CACHE moves ~/.cache/mailtrap-bench):
  smtp-sink        Postfix's C sink, stores nothing (the ceiling): .ci/install-smtp-source
  aiosmtpd-sink    aiosmtpd_sink.py beside this file, a plain aiosmtpd Controller that stores
                   nothing (the floor for any aiosmtpd server): aiosmtpd comes with mailtrap
  maildev          Node, mail in files:
                   npm install --prefix ~/.cache/mailtrap-bench/node maildev@3.0.0
  maildump         Python, SQLite in memory: python -m venv ~/.cache/mailtrap-bench/venv &&
                   ~/.cache/mailtrap-bench/venv/bin/pip install maildump
  mailtrap         this interpreter's mailtrap, SQLite on disk, --max-messages 0
  mailtrap-memory  the same with --memory
  mailtrap-asyncio mailtrap (SQLite) with --loop asyncio: asyncio's own loop beside `mailtrap`'s
                   uvloop (its --loop auto, where uvloop is installed)
  mailtrap-hooks   mailtrap (SQLite) with --webhook-url to webhook_sink.py beside this file
                   (at the default --webhook-limit; MAILTRAP_WEBHOOK_LIMIT=0 for none) and
                   its /metrics scraped once a second during the load
  mailtrap-postgres   mailtrap with --database-url, in a fresh schema: needs the `postgres`
                   extra (pip install 'mailtrap-catcher[postgres]') and either --database-url
                   (a server whose database this user may create schemas in; they are dropped
                   afterwards) or Debian's postgresql package, whose initdb and pg_ctl start a
                   throwaway cluster on a unix socket for the run (as root, as the `postgres`
                   user), with PostgreSQL's durable defaults: fsync and synchronous_commit on
  mailtrap-postgres-2 two such `mailtrap serve` on one schema, the sessions and messages
                   split between them (one smtp-source each), counted through the first's API
smtp-source itself comes from .ci/install-smtp-source (or Postfix on PATH). Without --target
every target runs, and a peer (or PostgreSQL) that is not installed is skipped with a note; one
named with --target must be installed.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
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
    "mailtrap": ("/api/v1/messages?limit=1", lambda doc: doc["total"]),
    "mailtrap-memory": ("/api/v1/messages?limit=1", lambda doc: doc["total"]),
    "mailtrap-asyncio": ("/api/v1/messages?limit=1", lambda doc: doc["total"]),
    "mailtrap-hooks": ("/api/v1/messages?limit=1", lambda doc: doc["total"]),
    "mailtrap-postgres": ("/api/v1/messages?limit=1", lambda doc: doc["total"]),
    "mailtrap-postgres-2": ("/api/v1/messages?limit=1", lambda doc: doc["total"]),
}


@dataclass
class Row:
    """One target's result. `rate` is what ratios use: msgs/s to fully visible for a catcher,
    accepted msgs/s for a sink, None when the run did not count (see `note`)."""

    target: str
    rate: float | None = None
    accepted_per_s: float | None = None
    visible: int | None = None
    visible_after_s: float | None = None
    rss_before_mib: float | None = None
    rss_after_mib: float | None = None
    cpu_us_per_msg: float | None = None
    db_cpu_us_per_msg: float | None = None
    note: str = ""


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) `pid` and its descendants have used (Linux /proc), or None.
    Far steadier than a rate on a machine shared with other work: the rate shifts with what
    else runs, the CPU a message costs hardly does."""
    total, todo, tick = 0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        proc = Path(f"/proc/{todo.pop()}")
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (stat(5) fields 14, 15)
            for task in (proc / "task").iterdir():
                todo += [int(kid) for kid in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total / tick if total else None


def tree_rss_mib(pid: int) -> float | None:
    """Resident memory of `pid` and its descendants (Linux /proc), or None elsewhere."""
    total, todo = 0, [pid]
    while todo:
        proc = Path(f"/proc/{todo.pop()}")
        try:
            status = (proc / "status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if "VmRSS" in line)
            for task in (proc / "task").iterdir():
                todo += [int(kid) for kid in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total / 1024 if total else None


def scrape(http: int, done: threading.Event) -> None:
    """GET /metrics once a second until `done`."""
    while not done.wait(1.0):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics", timeout=10).close()


def cpu_seconds(pids: list[int]) -> float | None:
    """`tree_cpu_seconds` summed over `pids`, None if none of them could be read."""
    found = [cpu for pid in pids if (cpu := tree_cpu_seconds(pid)) is not None]
    return sum(found) if found else None


def rss_mib(pids: list[int]) -> float | None:
    found = [rss for pid in pids if (rss := tree_rss_mib(pid)) is not None]
    return sum(found) if found else None


def send(args: argparse.Namespace, smtps: list[int]) -> str | None:
    """Send the messages with smtp-source, the sessions and messages split evenly over one
    smtp-source per port in `smtps`, all at once; None, or why one failed."""
    each = len(smtps)

    def share(total: int, k: int) -> str:
        return str(total // each + (1 if k < total % each else 0))

    senders = []
    for k, smtp in enumerate(smtps):
        argv = [str(locate("smtp-source")), "-s", share(args.sessions, k)]
        argv += ["-m", share(args.messages, k), "-l", str(args.size)]
        argv += [*([] if args.new_connections else ["-d"]), f"127.0.0.1:{smtp}"]
        senders.append(
            subprocess.Popen(
                argv, env=postfix_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        )
    deadline = time.monotonic() + args.timeout
    try:
        for sender in senders:
            output = sender.communicate(timeout=max(0.1, deadline - time.monotonic()))[0]
            if sender.returncode != 0:
                return f"smtp-source failed: {output.strip()[-200:]}"
    finally:
        for sender in senders:
            if sender.poll() is None:
                sender.kill()
                sender.wait()
    return None


def load(
    row: Row,
    args: argparse.Namespace,
    smtps: list[int],
    http: int,
    pids: list[int],
    *,
    db_cpu: Callable[[], float] | None,
) -> None:
    """Send the messages to the `smtps` ports, then poll the API on `http` until all show; fill
    in `row` (the CPU of the `pids` process trees, and the database server's, which `db_cpu`
    reads when it runs here)."""
    cpu_before, db_before = cpu_seconds(pids), db_cpu() if db_cpu else None
    loaded = threading.Event()
    if row.target == "mailtrap-hooks":  # scraped as Prometheus would, if far more often
        threading.Thread(target=scrape, args=(http, loaded), daemon=True).start()
    started = time.monotonic()
    try:
        failed = send(args, smtps)
    finally:
        loaded.set()
    if failed:
        row.note = failed
        return
    row.accepted_per_s = args.messages / (time.monotonic() - started)
    if row.target not in COUNTS:
        row.rate = row.accepted_per_s
    else:
        visible = -1
        while time.monotonic() - started < args.timeout:
            try:
                visible = count(row.target, http)
            except (OSError, ValueError):
                visible = -1  # a busy API that timed out is asked again
            if visible >= args.messages:
                break
            time.sleep(0.05)
        row.visible, row.visible_after_s = visible, time.monotonic() - started
        if visible >= args.messages:
            row.rate = args.messages / row.visible_after_s
        else:
            row.note = f"{visible} of {args.messages} visible after {args.timeout:.0f} s"
    row.rss_after_mib = rss_mib(pids)
    cpu_after, db_after = cpu_seconds(pids), db_cpu() if db_cpu else None
    if cpu_before is not None and cpu_after is not None and row.rate:
        row.cpu_us_per_msg = (cpu_after - cpu_before) * 1e6 / args.messages
    if db_before is not None and db_after is not None and row.rate:
        row.db_cpu_us_per_msg = (db_after - db_before) * 1e6 / args.messages


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to `proc`'s process group, SIGKILL if it is still there after 10 s."""
    if proc.poll() is not None:
        return  # it exited already (a failed start)
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


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


def bench(target: str, args: argparse.Namespace, postgres: Postgres | None = None) -> Row:
    """Serve `target` (the PostgreSQL ones in a fresh schema on `postgres`), load it, measure."""
    row = Row(target)
    servers = 2 if target == "mailtrap-postgres-2" else 1
    ports = [(free_port(), free_port()) for _ in range(servers)]
    hook = free_port() if target == "mailtrap-hooks" else 0
    options = None
    schemas = contextlib.ExitStack()  # dropped once the servers have stopped
    if postgres is not None:
        import pgcluster  # imports psycopg: only for these targets

        schema = schemas.enter_context(pgcluster.fresh_schema(postgres.url, "ingest"))
        options = ["--database-url", postgres.url, "--database-schema", schema]
    sink = None
    if hook:
        sink_argv = [sys.executable, str(Path(__file__).with_name("webhook_sink.py")), str(hook)]
        sink = subprocess.Popen(sink_argv, stdout=subprocess.PIPE, text=True)
    with schemas, tempfile.TemporaryDirectory(prefix=f"ingest-{target}-") as tmp:
        log = Path(tmp) / "stderr"
        procs = []
        try:
            for smtp, http in ports:
                with log.open("ab") as err:
                    procs.append(
                        subprocess.Popen(
                            command(target, smtp, http, Path(tmp), hook=hook, database=options),
                            env=postfix_env(),
                            stdout=subprocess.DEVNULL,
                            stderr=err,
                            start_new_session=True,  # its own process group: stop() takes its kids
                        )
                    )
            for proc, (smtp, http) in zip(procs, ports, strict=True):
                wait_ready(target, proc, smtp, http)
            time.sleep(0.3)  # let start-up settle before the memory baseline
            pids = [proc.pid for proc in procs]
            row.rss_before_mib = rss_mib(pids)
            db_cpu = postgres.cpu if postgres is not None else None
            load(row, args, [smtp for smtp, _ in ports], ports[0][1], pids, db_cpu=db_cpu)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            row.note = str(error)
            tail = log.read_text(errors="replace").strip().splitlines()[-1:]
            row.note += f" ({tail[0][:160]})" if tail else ""
        finally:
            for proc in procs:
                stop(proc)
            if sink is not None:
                sink.terminate()
                posted = sink.communicate(timeout=10)[0].strip()
                row.note += f"{' ' if row.note else ''}{posted or '?'} webhooks received"
    return row


def ratios(rows: list[Row]) -> list[tuple[str, str, float]]:
    """(mailtrap target, peer, ratio of their rates) for every pair where both counted, and
    each PostgreSQL target's ratio to `mailtrap` (SQLite)."""
    ours = [r for r in rows if r.target.startswith("mailtrap") and r.rate]
    peers = [r for r in rows if not r.target.startswith("mailtrap") and r.rate]
    sqlite = [r for r in rows if r.target == "mailtrap" and r.rate]
    pg = [r for r in rows if r.target in POSTGRES and r.rate]
    pairs = [(o, p) for o in ours for p in peers] + [(o, p) for o in pg for p in sqlite]
    return [(o.target, p.target, o.rate / p.rate) for o, p in pairs if o.rate and p.rate]


def table(rows: list[Row], args: argparse.Namespace) -> str:
    mode = "one connection per message" if args.new_connections else "connections reused"
    lines = [f"# {args.messages} messages of {args.size} B, {args.sessions} sessions, {mode}"]
    lines.append(
        f"{'target':<21}{'msgs/s':>9}{'accepted/s':>12}{'visible':>9}"
        f"{'after s':>9}{'RSS MiB':>15}{'CPU us/msg':>12}{'DB us/msg':>11}  note"
    )

    def num(value: float | None, digits: int = 0) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    for r in rows:
        rss = f"{num(r.rss_before_mib)}->{num(r.rss_after_mib)}" if r.rss_before_mib else "-"
        vis = "-" if r.visible is None else str(r.visible)
        lines.append(
            f"{r.target:<21}{num(r.rate):>9}{num(r.accepted_per_s):>12}{vis:>9}"
            f"{num(r.visible_after_s, 2):>9}{rss:>15}{num(r.cpu_us_per_msg):>12}"
            f"{num(r.db_cpu_us_per_msg):>11}  {r.note}"
        )
    lines.append("")
    lines += [f"{ours} / {peer}: {ratio:.2f}x" for ours, peer, ratio in ratios(rows)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--size", type=int, default=2048, help="bytes per message")
    parser.add_argument("--new-connections", action="store_true", help="one per message")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per target")
    parser.add_argument("--target", action="append", choices=TARGETS, help="repeatable")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL for the mailtrap-postgres targets (default: a throwaway cluster)",
    )
    parser.add_argument("--install", action="store_true", help="install missing tools first")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    args = parser.parse_args()
    for name in ("messages", "sessions", "size", "timeout"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be above 0, got {getattr(args, name)}")
    targets = list(dict.fromkeys(args.target or TARGETS))
    if "mailtrap-postgres-2" in targets and min(args.sessions, args.messages) < 2:
        parser.error(
            "mailtrap-postgres-2 splits the load over two instances: --sessions and "
            f"--messages must be 2 or more, got {args.sessions} and {args.messages}"
        )
    no_postgres = postgres_missing(args.database_url) if set(targets) & set(POSTGRES) else None
    if no_postgres and args.target and set(args.target) & set(POSTGRES):
        parser.error(f"the mailtrap-postgres targets cannot run: {no_postgres}")
    for tool in ["smtp-source", *(t for t in targets if t in CACHED)]:
        for step in INSTALL[tool] if args.install and locate(tool) is None else []:
            print(f"installing {tool}: {' '.join(step)}", file=sys.stderr, flush=True)
            if subprocess.run(step, stdout=subprocess.DEVNULL, check=False).returncode:
                parser.error(f"installing {tool} failed at: {' '.join(step)}")
        if locate(tool) is None and (tool == "smtp-source" or args.target):
            how = " && ".join(" ".join(step) for step in INSTALL[tool])
            parser.error(f"{tool} is not on PATH nor in {CACHE}; --install, or: {how}")
    rows = []
    with contextlib.ExitStack() as stack:
        postgres = None
        for target in targets:
            if target in CACHED and locate(target) is None:
                rows.append(Row(target, note="skipped: not installed (--install, or see --help)"))
                continue
            if target in POSTGRES and no_postgres:
                rows.append(Row(target, note=f"skipped: {no_postgres}"))
                continue
            if target in POSTGRES and postgres is None:
                import pgcluster  # imports psycopg: only for these targets

                url = stack.enter_context(pgcluster.database(args.database_url, durable=True))
                postgres = Postgres(url, pgcluster.server_cpu(url))
            print(f"{target} ...", file=sys.stderr, flush=True)
            rows.append(bench(target, args, postgres if target in POSTGRES else None))
    if args.json:
        pairs = [{"ours": o, "peer": p, "ratio": x} for o, p, x in ratios(rows)]
        setup = {k: getattr(args, k) for k in ("messages", "sessions", "size", "new_connections")}
        print(json.dumps({**setup, "rows": [asdict(r) for r in rows], "ratios": pairs}))
    else:
        print(table(rows, args))


if __name__ == "__main__":
    main()
