"""benchmarks/message_page.py still runs (one round; the figures themselves are not checked).

Beside tests/test_benchmarks.py, which runs the other scripts, because this one needs Chromium.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from chromium import require_chromium

pytestmark = pytest.mark.slow
require_chromium()  # skips this module where there is none (fails under CI)

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "message_page.py"


def test_message_page_benchmark_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    assert "in Chromium: ready (DOMContentLoaded)" in out.stdout
