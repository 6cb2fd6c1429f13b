"""`mailtrap serve` in a subprocess on free ports, for end-to-end tests."""

from __future__ import annotations

import json
import os
import re
import signal
import smtplib
import subprocess
import sys
import time
import urllib.request
from typing import Any

__all__ = ["UNTRACED", "Running", "start"]

# What starts coverage in a Python subprocess (pyproject's [tool.coverage.run] patch).
UNTRACED = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")
SMTP_LINE = re.compile(r"^\s+SMTP\s+(\S+):(\d+)", re.MULTILINE)
WEB_LINE = re.compile(r"^\s+Web\s+(http://\S+)", re.MULTILINE)


class Running:
    def __init__(self, proc: subprocess.Popen[str], banner: str) -> None:
        self.proc = proc
        smtp, web = SMTP_LINE.search(banner), WEB_LINE.search(banner)
        assert smtp, banner
        assert web, banner
        self.smtp = (smtp.group(1), int(smtp.group(2)))
        self.url = web.group(1)
        self.banner = banner

    def send(self, subject: str) -> None:
        with smtplib.SMTP(*self.smtp, timeout=10) as client:
            client.sendmail(
                "app@example.com",
                ["user@example.com"],
                f"Subject: {subject}\r\nFrom: app@example.com\r\n\r\nhi".encode(),
            )

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.load(response)

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        self.proc.send_signal(sig)
        _, err = self.proc.communicate(timeout=20)
        return self.proc.returncode, err


def start(*args: str, env: dict[str, str] | None = None, traced: bool = True) -> Running:
    """`mailtrap serve` on free ports; returns once it has printed its banner. `traced=False`
    keeps coverage's tracer out of it, for tests that time its answers."""
    environ = {**os.environ, **(env or {})}
    if not traced:
        for name in UNTRACED:
            environ.pop(name, None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailtrap",
            "serve",
            "--smtp",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if line.lstrip().startswith("Store"):
            return Running(proc, "".join(lines))
    proc.kill()
    raise AssertionError("mailtrap serve printed no banner:\n" + "".join(lines))
