#!/usr/bin/env python3
"""Side-by-side SMTP ingest: mailtrap and peer mail catchers, loaded the same way in one run.

    python benchmarks/ingest.py [--messages 20000] [--sessions 20] [--size 2048]
                                [--new-connections] [--timeout 300] [--target NAME ...]
                                [--database-url URL] [--cpu-limit CORES] [--install] [--json]

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
                   split between them (one smtp-source each), counted through the first's API;
                   its ratio to mailtrap-postgres is what a second instance adds
smtp-source itself comes from .ci/install-smtp-source (or Postfix on PATH). Without --target
every target runs, and a peer (or PostgreSQL) that is not installed is skipped with a note; one
named with --target must be installed.

--cpu-limit CORES holds each server process to CORES of CPU time per second (a cgroup quota,
as a container's CPU limit holds a replica; see cpulimit.py; needs root). Unlimited, every
process shares this machine's cores, so a second mailtrap instance competes with the first and
with PostgreSQL and smtp-source for them; held to a budget of its own, each instance stands for
a machine of that size, and mailtrap-postgres-2 / mailtrap-postgres shows what a second one adds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from cpulimit import CpuLimit, unavailable
from ingest_load import load
from ingest_report import Row, ratios, table
from ingest_targets import (
    CACHE,
    CACHED,
    INSTALL,
    POSTGRES,
    TARGETS,
    Postgres,
    command,
    locate,
    postfix_env,
    postgres_missing,
    wait_ready,
)
from ports import unused_ports
from procstat import rss_mib, stop


def bench(target: str, args: argparse.Namespace, postgres: Postgres | None = None) -> Row:
    """Serve `target` (the PostgreSQL ones in a fresh schema on `postgres`), load it, measure."""
    row = Row(target)
    servers = 2 if target == "mailtrap-postgres-2" else 1
    hooked = target == "mailtrap-hooks"
    picked = iter(unused_ports(2 * servers + hooked))
    ports = [(next(picked), next(picked)) for _ in range(servers)]
    hook = next(picked) if hooked else 0
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
    limit = CpuLimit(args.cpu_limit) if args.cpu_limit else None
    with (
        schemas,
        tempfile.TemporaryDirectory(prefix=f"ingest-{target}-") as tmp,
        limit or contextlib.nullcontext(),
    ):
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
                if limit is not None:  # its start-up too: a pod's limit holds from the start
                    limit.add(procs[-1].pid)
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
    parser.add_argument(
        "--cpu-limit",
        type=float,
        metavar="CORES",
        help="hold each server process to CORES of CPU (a cgroup quota; needs root)",
    )
    parser.add_argument("--install", action="store_true", help="install missing tools first")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    args = parser.parse_args()
    for name in ("messages", "sessions", "size", "timeout"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be above 0, got {getattr(args, name)}")
    if args.cpu_limit is not None and args.cpu_limit <= 0:
        parser.error(f"--cpu-limit must be above 0 cores, got {args.cpu_limit}")
    if args.cpu_limit and (why := unavailable()):
        parser.error(why)
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
        keys = ("messages", "sessions", "size", "new_connections", "cpu_limit")
        setup = {k: getattr(args, k) for k in keys}
        print(json.dumps({**setup, "rows": [asdict(r) for r in rows], "ratios": pairs}))
    else:
        print(table(rows, args))


if __name__ == "__main__":
    main()
