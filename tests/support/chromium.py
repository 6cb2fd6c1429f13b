"""Debian's Chromium for Playwright tests: where it is, and how it is launched on this machine.

A module importing this is skipped, with the install command, where no Chromium is installed,
and fails instead under CI (`CI` set), which installs it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "launched", "require_chromium", "wait_until"]

CHROMIUM = os.environ.get("MAILTRAP_CHROMIUM", "/usr/bin/chromium")
# Chromium's own network chatter is refused on this machine; keep it quiet.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
]


def require_chromium() -> str:
    """The Chromium executable; skips the calling module (fails it under CI) when missing."""
    if shutil.which(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium", pytrace=False)
    pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium", allow_module_level=True)


@contextlib.contextmanager
def launched() -> Iterator[Any]:
    """Chromium driven by Playwright (which must be importable), closed at the end."""
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do (10 s, not expect's 5 s): the suite keeps both
    # cores busy, and the server answering the page runs in the test's own process.
    expect.set_options(timeout=10_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_until(page: Any, predicate: str, arg: Any = None, timeout: float = 10.0) -> Any:
    """Poll the JavaScript function `predicate` (called with `arg`) until it returns a truthy
    value, and return that; fail after `timeout` seconds.

    Playwright's own `wait_for_function` re-evaluates a string with `eval` in the page after
    its first try, which the inbox's CSP (no 'unsafe-eval') refuses: it failed whenever it had
    to poll. `page.evaluate` runs over the DevTools protocol, which the CSP does not govern.
    """
    deadline = time.monotonic() + timeout
    while not (value := page.evaluate(predicate, arg)):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:g} s: {predicate}")
        page.wait_for_timeout(50)
    return value
