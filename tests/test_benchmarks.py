"""The benchmark scripts still run (with tiny inputs; the figures themselves are not checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def run(script: str, *args: str) -> str:
    """Run `benchmarks/<script>` with `args`; its stdout, or a failure showing both streams."""
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    return out.stdout


def test_pytest_overhead_runs() -> None:
    out = run("pytest_overhead.py", "--tests", "3", "--messages", "3")
    assert "fixture cost per test" in out
    assert "delivery to wait_for return over 3 messages" in out


def test_short_soak_passes_its_checks() -> None:
    """The CI-sized soak: retention pruning under load, no loss, no duplicates, flat memory."""
    out = run("soak.py", "--seconds", "15", "--max-messages", "3000")
    assert "FAIL" not in out and "while pruning" in out


def test_query_speed_runs() -> None:
    out = run("query_speed.py", "--messages", "300", "--rounds", "3")
    assert "free-text search" in out and "UI inbox page" in out


def test_serve_startup_runs() -> None:
    out = run("serve_startup.py", "--rounds", "1", "--messages", "5")
    assert "mailtrap serve ready" in out and "KiB per message" in out


# A stand-in for ../shared/bench/ingest.py: prints round N's rows from rounds.json (as
# `--json` does, after its two header lines) and records the arguments it was given.
FAKE_INGEST = """
import json, sys
from pathlib import Path
here = Path(__file__).parent
done = len(list(here.glob("argv-*.json")))
(here / f"argv-{done}.json").write_text(json.dumps(sys.argv[1:]))
print("# header"); print("target accepted/s ...")
for row in json.loads((here / "rounds.json").read_text())[done]:
    print(json.dumps(row))
"""


def test_ingest_rounds_takes_ratios_within_each_round(tmp_path: Path) -> None:
    rounds = [
        [
            {"target": "aiosmtpd-sink", "accepted_per_s": 2000.0},
            {"target": "maildump", "accepted_per_s": 1100.0, "stored_per_s": 1000.0},
            {"target": "mailtrap", "accepted_per_s": 2100.0, "stored_per_s": 1900.0},
        ],
        [
            {"target": "aiosmtpd-sink", "accepted_per_s": 1000.0},
            {"target": "maildump", "error": "timed out"},  # hung: this round does not count
            {"target": "mailtrap", "accepted_per_s": 1300.0, "stored_per_s": 1200.0},
        ],
        [
            {"target": "aiosmtpd-sink", "accepted_per_s": 2000.0},
            {"target": "maildump", "accepted_per_s": 900.0, "stored_per_s": 0.0},  # not all shown
            {"target": "mailtrap", "accepted_per_s": 1700.0, "stored_per_s": 1600.0},
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
    table = out.splitlines()[1:5]
    assert table[0].split() == ["round", "aiosmtpd-sink", "maildump", "mailtrap"]
    assert table[2].split() == ["2", "1000", "-", "1200"]
    assert table[3].split() == ["3", "2000", "-", "1600"]


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
