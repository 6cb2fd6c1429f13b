"""Loopback ports to name to a server in another process, which must be told its port before
it binds it. The benchmarks use them, and so do the tests (pytest's `pythonpath` has this folder).

Why not a port the kernel picks (bind to 0, read it, let it go)? That port comes from the
ephemeral range, which every outgoing connection and every bind to 0 on the machine draws from.
Under xdist, with hundreds of loopback connections a second, it is often handed out again before
the server we named it to can bind it: the server then fails with "port in use", or worse, a
check finds somebody else's server listening there. A port outside that range is only ever
taken by a process that names it, as these do, and they pick at random over thousands of them.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

LOWEST = 10000  # under it sit the ports that services are configured on
RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_PICKS = 200  # tries before giving up; each fails only where a port is taken


def _candidates() -> list[range]:
    """The ports outside the kernel's ephemeral range, from LOWEST up (Linux's default range
    where the setting cannot be read)."""
    try:
        low, high = (int(field) for field in RANGE_FILE.read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return [range(LOWEST, low), range(max(high + 1, LOWEST), 65536)]


def _free(port: int) -> bool:
    """Whether a listener could bind `port` on 127.0.0.1 now."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def unused_ports(count: int = 1, *, consecutive: bool = False) -> list[int]:
    """`count` distinct ports that are free on 127.0.0.1 now and outside the ephemeral range;
    with `consecutive`, a run of them (for servers that take a base port and add to it).

    Nothing listens on them until somebody names them, so one also serves as a port where
    nothing answers. Raises RuntimeError naming the kernel setting when the ephemeral range
    leaves no room, or when 200 random picks found too few free.
    """
    spans = [span for span in _candidates() if len(span) >= count]
    if not spans:
        raise RuntimeError(
            f"no ports outside the ephemeral range in {RANGE_FILE}: narrow it, e.g. "
            "sysctl net.ipv4.ip_local_port_range='32768 60999'"
        )
    # SystemRandom: pytest-randomly and friends seed `random` alike in every xdist worker,
    # which would have the workers pick the very same ports.
    pick = random.SystemRandom()
    chosen: list[int] = []
    for _ in range(_PICKS):
        span = pick.choice(spans)
        if consecutive:
            base = pick.randrange(span.start, span.stop - count + 1)
            run = list(range(base, base + count))
            if all(_free(port) for port in run):
                return run
        elif (port := pick.choice(span)) not in chosen and _free(port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise RuntimeError(f"found no {count} free loopback ports in {_PICKS} tries: {spans}")
