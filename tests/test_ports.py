"""benchmarks/ports.py: the loopback ports the benchmarks and tests name to other processes."""

from __future__ import annotations

import socket
from pathlib import Path

import ports
import pytest
from ports import unused_ports


def _ephemeral() -> range:
    low, high = (int(field) for field in ports.RANGE_FILE.read_text().split())
    return range(low, high + 1)


def test_ports_are_distinct_bindable_and_outside_the_ephemeral_range() -> None:
    picked = unused_ports(5)
    assert len(set(picked)) == 5
    assert not set(picked) & set(_ephemeral())
    for port in picked:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # raises if it was not free


def test_a_consecutive_run_is_one() -> None:
    base, *rest = unused_ports(3, consecutive=True)
    assert rest == [base + 1, base + 2]


def test_a_taken_port_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        monkeypatch.setattr(ports, "_candidates", lambda: [range(port, port + 1)])
        with pytest.raises(RuntimeError, match="found no 1 free loopback ports"):
            unused_ports()


def test_an_ephemeral_range_covering_everything_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    setting = tmp_path / "ip_local_port_range"
    setting.write_text("1024\t65535\n")
    monkeypatch.setattr(ports, "RANGE_FILE", setting)
    with pytest.raises(RuntimeError, match=r"ip_local_port_range='32768 60999'"):
        unused_ports()
