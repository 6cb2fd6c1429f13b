"""The tests under each claimed Python besides the one running nox, which README's command covers.

`.ci/run` runs `python -m nox --error-on-missing-interpreters` before README's test command.
With pyenv, `python3.12` answers only while 3.12 is a selected version: `.ci/run` selects them
all through PYENV_VERSION (set in the noxfile, it came too late for nox's interpreter search).
Locally: `pip install nox && nox`; `nox -p 3.11` adds the running version;
`nox -- tests/test_server.py` runs other tests instead of the fast subset.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PREFIX = "Programming Language :: Python :: "

# The claimed versions are pyproject.toml's classifiers ("3.11", not "3" or "3 :: Only").
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
CLAIMED = [
    c.removeprefix(PREFIX)
    for c in PYPROJECT["project"]["classifiers"]
    if re.fullmatch(re.escape(PREFIX) + r"3\.\d+", c)
]
RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"

nox.options.sessions = ["tests"]
# uv makes each session's virtualenv in seconds where pip took a minute or more (the test group
# is large: Playwright, Django, mypy); without uv installed, nox falls back to virtualenv and pip.
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.pythons = [v for v in CLAIMED if v != RUNNING]

# What differs between Pythons is the stdlib under the code (email, asyncio, ssl, sqlite3) and
# each dependency's build for that version: so the parser, the stores, the SMTP server, the API
# and the plugin, about 640 tests. README's full run on one version adds the web pages, the
# browser and npm clients, the command line, fuzzing, load tests, packaging and ruff/mypy.
FAST = [
    "-m",
    "not slow",
    # The PostgreSQL store's work is the server's SQL, the same under every Python; its 168
    # contract runs (a cluster per worker) stay in README's full run, and out of these two.
    "-k",
    "not postgres",
    "tests/test_parsing.py",
    "tests/test_headers.py",
    "tests/test_extract.py",
    "tests/test_bounds.py",
    "tests/test_corpus.py",
    "tests/storage",
    "tests/test_protocol.py",
    "tests/test_smtp_hardening.py",
    "tests/test_server.py",
    "tests/test_tls_auth.py",
    "tests/web/test_api.py",
    "tests/web/test_events.py",
    "tests/web/test_openapi.py",
    "tests/plugin",
    "tests/test_client.py",
    "tests/test_architecture.py",
    "tests/test_readme.py",
]


@nox.session(python=CLAIMED)
def tests(session: nox.Session) -> None:
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "test"))
    # Coverage is measured (and held to fail_under) once, by README's full run.
    session.run("python", "-m", "pytest", "-n", "auto", "--no-cov", *(session.posargs or FAST))
