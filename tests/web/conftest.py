"""Fixtures the browser tests share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chromium import launched


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium per test process (each xdist worker), shared by every browser module: a
    launch costs about a second of CPU, and each test works in a context of its own, which
    shares no cookies, storage or cache with any other."""
    with launched() as chromium:
        yield chromium
