"""Waiting for a condition that another thread or process makes true, for a bounded time."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["until"]


def until(condition: Callable[[], bool], *, seconds: float = 5.0, every: float = 0.02) -> bool:
    """Whether `condition()` came true within `seconds`, asking every `every` seconds (and once
    more at the deadline, so a slow machine's last chance is not lost)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True
