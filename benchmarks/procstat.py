"""What benchmarks/ingest.py reads of the processes it starts (Linux /proc): CPU seconds and
resident memory of a process tree, and how it stops them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) `pid` and its descendants have used (Linux /proc), or None.
    Far steadier than a rate on a machine shared with other work: the rate shifts with what
    else runs, the CPU a message costs hardly does."""
    total, todo, tick = 0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        proc = Path(f"/proc/{todo.pop()}")
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (stat(5) fields 14, 15)
            for task in (proc / "task").iterdir():
                todo += [int(kid) for kid in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total / tick if total else None


def tree_rss_mib(pid: int) -> float | None:
    """Resident memory of `pid` and its descendants (Linux /proc), or None elsewhere."""
    total, todo = 0, [pid]
    while todo:
        proc = Path(f"/proc/{todo.pop()}")
        try:
            status = (proc / "status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if "VmRSS" in line)
            for task in (proc / "task").iterdir():
                todo += [int(kid) for kid in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total / 1024 if total else None


def cpu_seconds(pids: list[int]) -> float | None:
    """`tree_cpu_seconds` summed over `pids`, None if none of them could be read."""
    found = [cpu for pid in pids if (cpu := tree_cpu_seconds(pid)) is not None]
    return sum(found) if found else None


def rss_mib(pids: list[int]) -> float | None:
    found = [rss for pid in pids if (rss := tree_rss_mib(pid)) is not None]
    return sum(found) if found else None


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to `proc`'s process group, SIGKILL if it is still there after 10 s."""
    if proc.poll() is not None:
        return  # it exited already (a failed start)
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
