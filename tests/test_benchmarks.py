"""The benchmark scripts still run (with tiny inputs; the figures themselves are not checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_pytest_overhead_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "pytest_overhead.py"), "--tests", "3", "--messages", "3"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    assert "fixture cost per test" in out.stdout
    assert "delivery to wait_for return over 3 messages" in out.stdout


def test_short_soak_passes_its_checks() -> None:
    """The CI-sized soak: retention pruning under load, no loss, no duplicates, flat memory."""
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "soak.py"), "--seconds", "15", "--max-messages", "3000"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    assert "FAIL" not in out.stdout and "while pruning" in out.stdout


def test_query_speed_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "query_speed.py"), "--messages", "300", "--rounds", "3"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    assert "free-text search" in out.stdout and "UI inbox page" in out.stdout


def test_serve_startup_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "serve_startup.py"), "--rounds", "1", "--messages", "5"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    assert "mailtrap serve ready" in out.stdout and "KiB per message" in out.stdout
