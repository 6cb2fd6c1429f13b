"""Debian's SpamAssassin daemon (`spamd`) on a free loopback port, for the sa-check tests.

`.ci/run` installs it (package `spamassassin`); locally a missing spamd skips its tests, and
under CI fails them (`tools.require_tool`). It runs with local tests only (`-L`: no DNS
blocklists or other network lookups) and no per-user configuration (`-x`), logging to stderr,
which a failure message quotes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ports import unused_ports
from tools import require_tool

__all__ = ["GTUBE", "Spamd", "running_spamd"]

# SpamAssassin's Generic Test for Unsolicited Bulk Email: any message holding it scores 1000.
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
START_SECONDS = 120  # loading the rules takes a few seconds on a slow machine, uncompiled


@dataclass(frozen=True)
class Spamd:
    address: tuple[str, int]
    log: Path

    @property
    def flag(self) -> str:
        """The address as `--smtp-spamassassin` takes it."""
        return f"{self.address[0]}:{self.address[1]}"


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def running_spamd() -> Iterator[Spamd]:
    """A spamd on 127.0.0.1 until the block ends; fails saying why (with its log) if it does
    not start listening within START_SECONDS."""
    spamd = require_tool(
        "spamd", "install Debian's spamassassin package (apt-get install spamassassin)"
    )
    port = unused_ports()[0]
    with tempfile.TemporaryDirectory(prefix="spamd-") as tmp:
        log = Path(tmp) / "spamd.log"
        # spamd will not run checks as root; it drops to this user (as Debian's service does).
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        argv = [spamd, "-L", "-x", "-s", "stderr", "--listen", f"127.0.0.1:{port}"]
        argv += ["--min-children", "1", "--max-children", "2", "--pidfile", f"{tmp}/pid", *user]
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_SECONDS
            while not _listening(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"spamd did not start:\n{log.read_text(errors='replace')}")
                time.sleep(0.1)
            yield Spamd(("127.0.0.1", port), log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
