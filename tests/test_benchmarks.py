"""The benchmark scripts still run (with tiny inputs; the figures themselves are not checked)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cpulimit import CpuLimit, unavailable
from postgres import URL_VARIABLE, postgres_bin
from procstat import tree_cpu_seconds

# Each runs a load script, or the soak for 4 s: meta tests of the tooling, not of mailtrap.
pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@dataclass(frozen=True)
class Tool:
    """An outside program a script needs: `missing` is what the script writes to stderr, exiting
    2, where it is not installed; `install` is how to get it (CI's .ci/run installs them all)."""

    name: str
    missing: str
    install: str


POSTGRES = Tool("PostgreSQL", "PostgreSQL's initdb is not installed", "apt-get install postgresql")
SMTP_SOURCE = Tool("smtp-source", "smtp-source is not on PATH", ".ci/install-smtp-source")


def run(script: str, *args: str, needs: Tool | None = None) -> str:
    """Run `benchmarks/<script>` with `args`; its stdout, or a failure showing both streams.
    A script that says its `needs` tool is missing is skipped, except in CI (CI set)."""
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if needs and out.returncode == 2 and needs.missing in out.stderr:
        if os.environ.get("CI"):
            pytest.fail(f"CI must have {needs.name} (.ci/run installs it):\n{out.stderr}")
        pytest.skip(f"{needs.name} is not installed here ({needs.install})")
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    return out.stdout


def test_pytest_overhead_runs() -> None:
    out = run(
        "pytest_overhead.py",
        "--tests",
        "3",
        "--messages",
        "3",
        "--best-of",
        "1",
        "--idle-runs",
        "1",
    )
    assert "plugin import on top of pytest's" in out
    assert "a one-test run without fixtures" in out
    assert "fixture cost per test" in out
    assert "delivery to wait_for return over 3 messages" in out


def test_short_soak_passes_its_checks() -> None:
    """The CI-sized soak: retention pruning under load, no loss, no duplicates, flat memory."""
    out = run("soak.py", "--seconds", "4", "--senders", "10", "--max-messages", "400")
    assert "FAIL" not in out
    assert "while pruning" in out


def test_query_speed_runs_sqlite_alone() -> None:
    out = run("query_speed.py", "--messages", "300", "--rounds", "3", "--no-postgres")
    assert "free-text search" in out
    assert "UI inbox page" in out
    assert "PG" not in out


def test_query_speed_times_sqlite_and_postgresql_side_by_side() -> None:
    out = run("query_speed.py", "--messages", "300", "--rounds", "3", needs=POSTGRES)
    assert "messages stored: SQLite 300, PG 300;" in out
    assert re.search(
        r"SQLite HTTP +PG HTTP +SQLite store +PG store +SQLite CPU +PG CPU$", out, re.M
    )
    # Both stores found as many of each search (a mismatch is flagged DIFFER).
    assert "DIFFER" not in out
    fifth = re.search(r"^  from: a fifth +(?:[\d.]+ +){10} +60 found$", out, re.M)
    assert fifth, out
    verdict = r"(within|OVER) in-process, (within|OVER) over HTTP the {} ms target \(SQLite: "
    assert re.search(r"^PostgreSQL list p95 .*: " + verdict.format(5), out, re.M), out
    broad = r"^PostgreSQL broad search \(the worst of 7\) p95 .*: " + verdict.format(150)
    assert re.search(broad, out, re.M), out
    assert re.search(r"; CPU per call in-process [\d.]+ ms \(SQLite [\d.]+ ms\)$", out, re.M), out


def test_shared_inbox_times_events_and_waits_across_two_instances() -> None:
    out = run("shared_inbox.py", "--messages", "5", "--waits", "2", needs=POSTGRES)
    pattern = r"^A's 250 to B's {}: median -?[\d.]+ ms +p95 -?[\d.]+ ms +max -?[\d.]+ ms +\({} "
    assert re.search(pattern.format("`new` event", 5), out, re.M), out
    assert re.search(pattern.format("/api/v1/wait answer", 2), out, re.M), out
    assert re.search(r"^cross-instance event p95 -?[\d.]+ ms: (within|OVER) the 50 ms", out, re.M)


def test_inbox_page_runs() -> None:
    out = run("inbox_page.py", "--messages", "200", "--rounds", "3")
    assert "tags with their counts" in out
    assert re.search(r"^inbox page median [\d.]+ ms: (within|OVER) the 150 ms target$", out, re.M)


def test_link_check_runs() -> None:
    out = run("link_check.py", "--links", "6", "--delay", "0", "--rounds", "1")
    assert "link check of a 6-link mail" in out
    assert re.search(r"follow=true +median +\d+ ms +worst +\d+ ms +\d+ requests, 2 errors", out)


def test_serve_startup_runs() -> None:
    out = run("serve_startup.py", "--rounds", "1", "--messages", "5")
    assert "mailtrap serve ready" in out
    assert "KiB per message" in out


TINY = ["--messages", "50", "--sessions", "2", "--timeout", "60", "--target", "aiosmtpd-sink"]


def test_ingest_compares_mailtrap_with_the_aiosmtpd_floor_in_one_run() -> None:
    out = run("ingest.py", *TINY, "--target", "mailtrap-memory", needs=SMTP_SOURCE)
    assert out.startswith("# 50 messages of 2048 B, 2 sessions, connections reused\n")
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:4]}
    # A sink's rate is what it accepted; mailtrap's counts once its API lists all 50.
    floor, ours = rows["aiosmtpd-sink"], rows["mailtrap-memory"]
    assert float(floor[1]) > 0, out
    assert floor[1] == floor[2], out
    assert floor[3] == "-", out
    assert float(ours[1]) > 0, out
    assert ours[3] == "50", out
    assert re.search(r"^mailtrap-memory / aiosmtpd-sink: \d+\.\d\dx$", out, re.MULTILINE), out


def test_ingest_runs_mailtrap_with_a_webhook_and_metrics_scraped() -> None:
    out = run("ingest.py", *TINY, "--target", "mailtrap-hooks", needs=SMTP_SOURCE)
    rows = [line.split() for line in out.splitlines() if line.startswith("mailtrap-hooks ")]
    [row] = [r for r in rows if r[1] != "/"]  # not the ratio line
    assert row[3] == "50", out  # every message stored
    # The receiver really got requests (paced at the default 10 a second, so a few of 50).
    received = re.search(r"(\d+) webhooks received", out)
    assert received, out
    assert 1 <= int(received.group(1)) <= 50, out
    assert re.search(r"^mailtrap-hooks / aiosmtpd-sink: \d+\.\d\dx$", out, re.MULTILINE), out


def test_ingest_runs_mailtrap_on_asyncio_beside_its_default_loop() -> None:
    out = run(
        "ingest.py",
        *TINY,
        "--target",
        "mailtrap",
        "--target",
        "mailtrap-asyncio",
        needs=SMTP_SOURCE,
    )
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:5]}
    assert rows["mailtrap"][3] == "50", out
    assert rows["mailtrap-asyncio"][3] == "50", out  # every message stored on asyncio's loop
    assert re.search(r"^mailtrap-asyncio / aiosmtpd-sink: \d+\.\d\dx$", out, re.MULTILINE), out


def test_ingest_runs_mailtrap_on_postgresql_beside_sqlite_in_one_run() -> None:
    """One instance and two instances on one schema (the sessions split between them), on the
    tests' database if one is named, else on a throwaway cluster the script starts itself."""
    url = os.environ.get(URL_VARIABLE)
    if url is None:
        postgres_bin()  # skips without PostgreSQL, and fails under CI
    pg = ["--target", "mailtrap-postgres", "--target", "mailtrap-postgres-2"]
    given = ["--database-url", url] if url else []
    out = run("ingest.py", *TINY, "--target", "mailtrap", *pg, *given, needs=SMTP_SOURCE)
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:6]}
    # All 50 listed by the first instance's API: the second's 25 reached the shared schema.
    assert rows["mailtrap-postgres"][3] == "50", out
    assert rows["mailtrap-postgres-2"][3] == "50", out
    if url is None:  # the script's own cluster: its CPU per message is measured too
        assert float(rows["mailtrap-postgres"][7]) > 0, out
    for target in ("mailtrap-postgres", "mailtrap-postgres-2"):
        assert re.search(rf"^{target} / mailtrap: \d+\.\d\dx$", out, re.MULTILINE), out
    # What a second instance adds.
    assert re.search(r"^mailtrap-postgres-2 / mailtrap-postgres: \d+\.\d\dx$", out, re.M), out


def _require_cgroups() -> None:
    """Skips where cgroups cannot be made (not root, no cpu controller), except in CI, whose
    machine runs .ci/run as root."""
    why = unavailable()
    if why and os.environ.get("CI"):
        pytest.fail(f"CI must be able to limit CPU with cgroups: {why}")
    if why:
        pytest.skip(why)


def test_a_cpu_limit_holds_a_busy_process_to_its_share_and_is_removed_after() -> None:
    _require_cgroups()
    spin = "import time\nwhile True: pass"
    busy = subprocess.Popen([sys.executable, "-c", spin])
    try:
        with CpuLimit(0.1) as limit:
            limit.add(busy.pid)
            [group] = limit.groups
            assert (group / "cgroup.procs").read_text().split() == [str(busy.pid)]
            before, began = tree_cpu_seconds(busy.pid) or 0.0, time.monotonic()  # None: none yet
            time.sleep(1.5)
            after = tree_cpu_seconds(busy.pid)
            assert after is not None, "the spinning process used no CPU at all"
            share = (after - before) / (time.monotonic() - began)
            busy.kill()
            busy.wait()
        assert share < 0.3, f"held to 0.1 cores, the spinning process used {share:.2f}"
        assert not group.exists()
    finally:
        busy.kill()
        busy.wait()


def test_ingest_holds_each_server_to_the_cpu_limit_it_is_given() -> None:
    _require_cgroups()
    out = run("ingest.py", *TINY, "--target", "mailtrap", "--cpu-limit", "0.5", needs=SMTP_SOURCE)
    assert out.splitlines()[0].endswith(", each server process held to 0.5 cores"), out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:4]}
    assert rows["mailtrap"][3] == "50", out  # all stored within the limit


def test_ingest_rounds_drives_the_real_ingest_script() -> None:
    out = run(
        "ingest_rounds.py", "--rounds", "1", "--", *TINY, "--target", "mailtrap", needs=SMTP_SOURCE
    )
    assert out.splitlines()[1].split() == ["round", "aiosmtpd-sink", "mailtrap"]
    assert re.search(r"^mailtrap / aiosmtpd-sink: median [\d.]+x over 1 of 1 rounds", out, re.M)


def test_ingest_names_the_missing_smtp_source_and_how_to_install_it(tmp_path: Path) -> None:
    env = {**os.environ, "MAILTRAP_BENCH_CACHE": str(tmp_path), "PATH": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "ingest.py"), "--target", "mailtrap"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert out.returncode == 2
    assert f"smtp-source is not on PATH nor in {tmp_path}; --install, or: " in out.stderr
    assert ".ci/install-smtp-source" in out.stderr


# A stand-in for benchmarks/ingest.py: prints round N's rows from rounds.json (in the JSON
# document `--json` prints) and records the arguments it was given.
FAKE_INGEST = """
import json, sys
from pathlib import Path
here = Path(__file__).parent
done = len(list(here.glob("argv-*.json")))
(here / f"argv-{done}.json").write_text(json.dumps(sys.argv[1:]))
print(json.dumps({"rows": json.loads((here / "rounds.json").read_text())[done]}))
"""


def test_ingest_rounds_takes_ratios_within_each_round(tmp_path: Path) -> None:
    rounds = [
        [
            {"target": "aiosmtpd-sink", "rate": 2000.0},
            {"target": "maildump", "rate": 1000.0},
            {"target": "mailtrap", "rate": 1900.0},
            {"target": "mailtrap-memory", "rate": 2200.0},
        ],
        [
            {"target": "aiosmtpd-sink", "rate": 1000.0},
            {"target": "maildump", "rate": None, "note": "not ready"},  # hung: does not count
            {"target": "mailtrap", "rate": 1200.0},
            {"target": "mailtrap-memory", "rate": 1500.0},
        ],
        [
            {"target": "aiosmtpd-sink", "rate": 2000.0},
            {"target": "maildump", "rate": None, "note": "40 of 50 visible"},  # lost some
            {"target": "mailtrap", "rate": 1600.0},
            {"target": "mailtrap-memory", "rate": None, "note": "skipped"},
        ],
    ]
    (tmp_path / "rounds.json").write_text(json.dumps(rounds))
    (tmp_path / "ingest.py").write_text(FAKE_INGEST)
    out = run(
        "ingest_rounds.py",
        "--rounds",
        "3",
        "--ingest",
        str(tmp_path / "ingest.py"),
        "--",
        "--sessions",
        "4",
        "--new-connections",
    )
    assert json.loads((tmp_path / "argv-0.json").read_text()) == [
        "--sessions",
        "4",
        "--new-connections",
        "--json",
    ]
    # Per round: 1900/2000, 1200/1000, 1600/2000. The median of those is 0.95, where a ratio
    # of the medians (1600/2000) would say 0.80.
    assert "mailtrap / aiosmtpd-sink: median 0.95x over 3 of 3 rounds (0.95, 1.20, 0.80)" in out
    assert "mailtrap / maildump: median 1.90x over 1 of 3 rounds (1.90)" in out
    # Each of the project's targets is compared with each peer, never with the other.
    assert "mailtrap-memory / aiosmtpd-sink: median 1.30x over 2 of 3 rounds (1.10, 1.50)" in out
    assert "mailtrap-memory / maildump: median 2.20x over 1 of 3 rounds (2.20)" in out
    assert "mailtrap / mailtrap-memory" not in out
    assert "mailtrap-memory / mailtrap:" not in out
    table = out.splitlines()[1:5]
    assert table[0].split() == ["round", "aiosmtpd-sink", "maildump", "mailtrap", "mailtrap-memory"]
    assert table[2].split() == ["2", "1000", "-", "1200", "1500"]
    assert table[3].split() == ["3", "2000", "-", "1600", "-"]


def test_ingest_rounds_compares_postgresql_with_sqlite_and_two_instances_with_one(
    tmp_path: Path,
) -> None:
    rounds = [
        [
            {"target": "mailtrap", "rate": 3000.0},
            {"target": "mailtrap-postgres", "rate": 2000.0},
            {"target": "mailtrap-postgres-2", "rate": 3000.0},
        ],
        [
            {"target": "mailtrap", "rate": 2000.0},
            {"target": "mailtrap-postgres", "rate": 1000.0},
            {"target": "mailtrap-postgres-2", "rate": 1800.0},
        ],
    ]
    (tmp_path / "rounds.json").write_text(json.dumps(rounds))
    (tmp_path / "ingest.py").write_text(FAKE_INGEST)
    out = run("ingest_rounds.py", "--rounds", "2", "--ingest", str(tmp_path / "ingest.py"))
    assert "mailtrap-postgres / mailtrap: median 0.58x over 2 of 2 rounds (0.67, 0.50)" in out
    assert "mailtrap-postgres-2 / mailtrap: median 0.95x over 2 of 2 rounds (1.00, 0.90)" in out
    assert (
        "mailtrap-postgres-2 / mailtrap-postgres: median 1.65x over 2 of 2 rounds (1.50, 1.80)"
        in out
    )
    assert "mailtrap / mailtrap-postgres" not in out


def test_ingest_rounds_names_a_missing_ingest_script(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "ingest_rounds.py"), "--ingest", str(tmp_path / "no.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 2
    assert f"{tmp_path / 'no.py'} does not exist; pass --ingest PATH" in out.stderr


def test_html_check_runs() -> None:
    out = run("html_check.py", "--rounds", "2")
    assert "HTML check of marketing-large-newsletter.eml" in out
    assert "check_html in-process" in out
    assert "over HTTP" in out
