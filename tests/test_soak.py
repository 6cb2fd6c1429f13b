"""A bounded soak against the real `mailtrap serve`: 50 SMTP senders, API readers and an
event-socket reader for MAILTRAP_SOAK_SECONDS (60 by default). Nothing acknowledged is lost,
no request fails, and the server is still answering at the end."""

from __future__ import annotations

import json
import os
import smtplib
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from serving import start
from websockets.sync.client import connect

SECONDS = float(os.environ.get("MAILTRAP_SOAK_SECONDS", "60"))


@pytest.mark.slow
@pytest.mark.timeout(SECONDS + 120)
def test_soak(tmp_path: Path) -> None:
    running = start("--db", str(tmp_path / "soak.db"), "--max-messages", "0")
    deadline = time.monotonic() + SECONDS
    acknowledged: list[str] = []
    errors: list[str] = []
    reads = [0]
    events = [0]

    def sender(n: int) -> None:
        try:
            with smtplib.SMTP(*running.smtp, timeout=30) as client:
                i = 0
                while time.monotonic() < deadline:
                    mid = f"<{n}.{i}@soak>"
                    client.sendmail(
                        "s@example.com",
                        ["r@example.com"],
                        f"Message-ID: {mid}\r\nSubject: {n}-{i}\r\n\r\nbody\r\n".encode(),
                    )
                    acknowledged.append(mid)
                    i += 1
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(f"sender {n}: {exc!r}")

    def reader() -> None:
        try:
            while time.monotonic() < deadline:
                for path in (
                    "/api/v1/messages?limit=50",
                    "/api/v1/search?query=body&limit=20",
                    "/api/v1/info",
                ):
                    with urllib.request.urlopen(running.url + path, timeout=30) as r:
                        json.load(r)
                    reads[0] += 1
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(f"reader: {exc!r}")

    def watcher() -> None:
        try:
            with connect(running.url.replace("http", "ws") + "/api/events") as ws:
                while time.monotonic() < deadline:
                    try:
                        frame = json.loads(ws.recv(timeout=1))
                    except TimeoutError:
                        continue
                    events[0] += frame["Type"] == "new"
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(f"watcher: {exc!r}")

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(50)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    threads.append(threading.Thread(target=watcher))
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=SECONDS + 60)
        assert not errors, errors[:5]
        info = running.get("/api/v1/info")
        assert info["Messages"] == len(acknowledged) > 0
        assert reads[0] > 0 and events[0] > 0
        print(
            f"\nsoak: {len(acknowledged)} messages in {SECONDS:.0f}s "
            f"({len(acknowledged) / SECONDS:.0f}/s), {reads[0]} API reads, "
            f"{events[0]} live events, RSS {info['RuntimeStats']['Memory'] / 2**20:.0f} MiB"
        )
    finally:
        code, err = running.stop()
    assert code == 0, err[-2000:]
