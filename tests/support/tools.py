"""Locating the external clients some tests drive: SMTP clients (swaks, Postfix's smtp-source)
and Mailpit's own clients (npm packages, pytest-mailpit).

`.ci/run` installs them. Locally a missing tool skips its test with the install command; under
CI (`CI` set) it fails instead, so a green CI run has really exercised every client.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

__all__ = [
    "SMTP_SOURCE_LIBS",
    "mailpit_api",
    "missing",
    "npm_package",
    "python_package",
    "require_tool",
    "smtp_source",
]

_BENCH_CACHE = Path(
    os.environ.get("MAILTRAP_BENCH_CACHE", Path.home() / ".cache" / "mailtrap-bench")
)
SMTP_SOURCE_LIBS = _BENCH_CACHE / "postfix" / "usr" / "lib" / "postfix"


def require_tool(name: str, how: str, search: str | None = None) -> str:
    """The path of executable `name` (on PATH, or in the directories `search` lists), or
    skip (fail under CI) saying `how` to install it."""
    path = shutil.which(name, path=search)
    if path is None:
        missing(f"{name} is not installed; {how}")
    return path  # type: ignore[return-value]


def smtp_source() -> str:
    """Postfix's smtp-source, on PATH or unpacked where ../shared/bench/ingest.py puts it."""
    found = shutil.which("smtp-source") or shutil.which("/usr/sbin/smtp-source")
    unpacked = _BENCH_CACHE / "postfix" / "usr" / "sbin" / "smtp-source"
    if found is None and unpacked.exists():
        found = str(unpacked)
    if found is None:
        missing(
            "smtp-source is not available; run .ci/install-smtp-source (it unpacks Debian's "
            "postfix package into ~/.cache/mailtrap-bench without installing the service)"
        )
    return found  # type: ignore[return-value]


def npm_package(name: str) -> Path:
    """The directory of npm package `name` (a Mailpit client, or axe-core), as
    .ci/install-npm-packages installs it, with `node` on PATH to run it."""
    require_tool("node", "install Node.js (apt-get install nodejs)")
    cache = Path(
        os.environ.get("MAILTRAP_COMPAT_CACHE", Path.home() / ".cache" / "mailtrap-compat")
    )
    package = cache / "node_modules" / name
    if not (package / "package.json").exists():
        missing(f"the {name} npm package is not installed; run .ci/install-npm-packages")
    return package


def mailpit_api() -> Path:
    """The `mailpit-api` npm package."""
    return npm_package("mailpit-api")


def axe_core() -> Path:
    """axe-core's browser bundle, `axe.min.js`."""
    return npm_package("axe-core") / "axe.min.js"


def python_package(name: str) -> None:
    """Import-check `name`, a package of pyproject's `test` group that a test drives."""
    if importlib.util.find_spec(name) is None:
        missing(f"{name} is not installed; run pip install -e . --group test")


def missing(message: str) -> None:
    """Skip the calling test saying `message`, or fail it under CI, which installs everything."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
