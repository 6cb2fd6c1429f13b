"""What benchmarks/ingest.py reads of the processes it starts (Linux /proc): CPU seconds and
resident memory of a process tree, and how it stops them."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path


def _tree_total(pid: int, read: Callable[[Path], int]) -> int:
    """`read(/proc/<pid>)` summed over `pid` and its descendants; a process that ended
    meanwhile, or that `read` cannot parse, adds nothing."""
    total, todo = 0, [pid]
    while todo:
        proc = Path(f"/proc/{todo.pop()}")
        try:
            total += read(proc)
            for task in (proc / "task").iterdir():
                todo += [int(kid) for kid in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError, StopIteration):
            continue
    return total


def _cpu_ticks(proc: Path) -> int:
    fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (stat(5) fields 14, 15)


def _rss_kib(proc: Path) -> int:
    status = (proc / "status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if "VmRSS" in line)


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) `pid` and its descendants have used (Linux /proc), or None.
    Far steadier than a rate on a machine shared with other work: the rate shifts with what
    else runs, the CPU a message costs hardly does."""
    ticks = _tree_total(pid, _cpu_ticks)
    return ticks / os.sysconf("SC_CLK_TCK") if ticks else None


def tree_rss_mib(pid: int) -> float | None:
    """Resident memory of `pid` and its descendants (Linux /proc), or None elsewhere."""
    kib = _tree_total(pid, _rss_kib)
    return kib / 1024 if kib else None


def cpu_seconds(pids: list[int]) -> float | None:
    """`tree_cpu_seconds` summed over `pids`, None if none of them could be read."""
    return _summed(tree_cpu_seconds, pids)


def rss_mib(pids: list[int]) -> float | None:
    """`tree_rss_mib` summed over `pids`, None if none of them could be read."""
    return _summed(tree_rss_mib, pids)


def _summed(of: Callable[[int], float | None], pids: list[int]) -> float | None:
    found = [value for pid in pids if (value := of(pid)) is not None]
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
