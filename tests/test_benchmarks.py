"""The benchmark scripts still run (with tiny inputs; the figures themselves are not checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def run(script: str, *args: str) -> str:
    """Run `benchmarks/<script>` with `args`; its stdout, or a failure showing both streams."""
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
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
