"""Hold a benchmark's server processes each to a share of the CPU, as a container's CPU limit
(a Kubernetes pod's `limits.cpu`) holds each replica.

On one machine every process shares its cores: a second instance of a server competes with the
first, and with the database and the load generator, for the same two cores. Given a budget of
its own, each instance stands for a machine (or pod) of that size, so what a second one adds
shows, as it would on a second machine.

Each process goes into a cgroup of its own with the CFS quota `cores` x 100 ms per 100 ms:
cgroup v2 (`cpu.max`) where /sys/fs/cgroup is one, else v1's `cpu` controller. That takes root
and a writable cgroup filesystem; `unavailable()` says why not, and the fix. Groups are removed
when the block ends (their processes must have exited by then).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from types import TracebackType

__all__ = ["CpuLimit", "unavailable"]

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000


def _v2() -> bool:
    return (ROOT / "cgroup.controllers").exists()


def _v1_cpu() -> Path | None:
    for name in ("cpu", "cpu,cpuacct"):
        if (ROOT / name / "cpu.cfs_quota_us").exists():
            return ROOT / name
    return None


def unavailable() -> str | None:
    """Why processes cannot be given a CPU limit here (and the fix), or None when they can."""
    if os.geteuid() != 0:
        return "--cpu-limit needs root (it makes cgroups); run as root or leave it out"
    if _v2():
        if "cpu" not in (ROOT / "cgroup.controllers").read_text().split():
            return "the cgroup v2 hierarchy has no cpu controller; leave --cpu-limit out"
        return None
    if _v1_cpu() is None:
        return f"no cgroup cpu controller is mounted under {ROOT}; leave --cpu-limit out"
    return None


class CpuLimit:
    """`with CpuLimit(0.5) as limit: limit.add(pid)` holds each added process (with its threads
    and any children it starts later) to `cores` of CPU time per second."""

    def __init__(self, cores: float) -> None:
        if cores <= 0:
            raise ValueError(f"a CPU limit must be above 0 cores, got {cores}")
        self.cores = cores
        self._quota = max(1000, round(cores * PERIOD_US))
        self._v2 = _v2()
        parent = ROOT if self._v2 else _v1_cpu()
        if parent is None:
            raise RuntimeError(unavailable() or "no cgroup cpu controller")
        self._parent = parent
        self._groups: list[Path] = []

    @property
    def groups(self) -> tuple[Path, ...]:
        """The cgroup directories made so far, one per added process."""
        return tuple(self._groups)

    def add(self, pid: int) -> None:
        """Move process `pid` into a new group limited to `cores`."""
        group = self._parent / f"mailtrap-bench-{os.getpid()}-{len(self._groups)}"
        if self._v2:
            # Children of the root get the cpu controller only once it is enabled for them.
            (ROOT / "cgroup.subtree_control").write_text("+cpu")
            group.mkdir()
            (group / "cpu.max").write_text(f"{self._quota} {PERIOD_US}")
        else:
            group.mkdir()
            (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(self._quota))
        self._groups.append(group)
        (group / "cgroup.procs").write_text(str(pid))

    def close(self) -> None:
        """Remove the groups; a process still in one is given a few seconds to exit."""
        for group in self._groups:
            deadline = time.monotonic() + 5
            while True:
                try:
                    group.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # still holds a process that is exiting
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
        self._groups = []

    def __enter__(self) -> CpuLimit:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with contextlib.suppress(OSError):
            self.close()
