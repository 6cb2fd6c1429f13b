"""Mailpit's real clients against a real server: `mailtrap serve` in a subprocess, SMTP mail for
it, and Node scripts that call a client's methods one step at a time (tests/compat).

A script (tests/compat/node/*.cjs, through harness.cjs) prints one JSON object: each step's
name and either `{"ok": value}` or `{"error": message}`. A step that throws does not stop the
ones after it, so one missing endpoint fails the tests of its own method and no others.
"""

from __future__ import annotations

import json
import signal
import smtplib
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from serving import Running, start

__all__ = ["NODE_DIR", "Served", "Steps", "error_detail", "node_json", "run_node", "serve"]

NODE_DIR = Path(__file__).resolve().parents[1] / "compat" / "node"


class Served:
    """A running `mailtrap serve`: `url`, `smtp` (host, port), `send(...)`, `stop()`.

    Its stderr is read on a thread (a full pipe would stall the server) and kept in `log`, which
    the failure messages quote: a 500 shows its traceback there."""

    def __init__(self, running: Running) -> None:
        self._running = running
        self.url = running.url
        self.smtp = running.smtp
        self.log: list[str] = [running.banner]
        stream = running.proc.stderr
        assert stream is not None
        self._reader = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self._reader.start()

    def _drain(self, stream: Any) -> None:
        for line in stream:
            self.log.append(line)

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        """Deliver `raw` over SMTP; refusals raise smtplib's exceptions, codes included."""
        with smtplib.SMTP(*self.smtp, timeout=10) as client:
            client.sendmail(sender, recipients, raw)

    def stop(self) -> None:
        proc = self._running.proc
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        self._reader.join(timeout=10)
        for pipe in (proc.stdout, proc.stderr):  # left open, each is a ResourceWarning later
            if pipe is not None:
                pipe.close()


def serve(store_dir: Path | None, *args: str) -> Served:
    """`mailtrap serve` on free loopback ports, with a SQLite store in `store_dir` (None: in
    memory), logging warnings and errors only."""
    store = ["--memory"] if store_dir is None else ["--db", str(store_dir / "mail.db")]
    return Served(start(*store, "--log-level", "warning", *args))


class Steps(Mapping[str, Any]):
    """The steps a Node script ran: `steps.ok(name)` is a step's value, `steps.error(name)` the
    message it threw; either fails the test, saying what happened instead, when it did not."""

    def __init__(self, raw: dict[str, Any], log: list[str]) -> None:
        self._raw = raw
        self._log = log

    def __getitem__(self, name: str) -> Any:
        return self._raw[name]

    def __iter__(self) -> Any:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def ok(self, name: str) -> Any:
        if name not in self._raw:
            pytest.fail(f"the script ran no step {name!r}; it ran {sorted(self._raw)}")
        step = self._raw[name]
        if "error" in step:
            server = "".join(self._log[-40:]).strip()
            pytest.fail(f"{name} threw: {step['error']}\n--- server log ---\n{server}")
        return step.get("ok")

    def error(self, name: str) -> str:
        step = self._raw[name]
        if "error" not in step:
            pytest.fail(f"{name} was expected to throw, but returned {step.get('ok')!r}")
        message: str = step["error"]
        return message


def node_json(script: Path, *args: str) -> Any:
    """Run the Node script `script` with `args`; the JSON it printed, or a failure with its
    stderr."""
    run = subprocess.run(
        ["node", str(script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if run.returncode != 0:
        pytest.fail(f"node {script.name} exited {run.returncode}:\n{run.stderr}{run.stdout}")
    return json.loads(run.stdout)


def run_node(script: str, *args: str, log: list[str] | None = None) -> Steps:
    """Run tests/compat/node/`script` with `args`; its steps, or a failure with its stderr."""
    return Steps(node_json(NODE_DIR / script, *args), log if log is not None else [])


def error_detail(message: str) -> tuple[int, Any]:
    """The status and JSON body quoted in a mailpit-api error:
    "Mailpit API Error: 404 Not Found at GET http://...: {"detail": ...}"."""
    head, _, body = message.partition(": ")
    status = int(body.split()[0])
    text = body.split(": ", 1)[1] if ": " in body else ""
    assert head == "Mailpit API Error", message
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text
