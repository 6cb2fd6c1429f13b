"""README's comparison table names only things that exist.

Every `name` in the mailtrap and pytest-mailpit columns must be a fixture or a command-line
option that pytest really registers, a method or attribute of the message or mailbox a test
gets, or (mailtrap) a CLI command; a call's named parameters must be the method's. A renamed
method, a dropped fixture or a typo in the table fails here. The other two columns
(pytest-django's `mailoutbox`, smtpdfix) name packages the test environment does not install:
their cells were read in the source of the versions the table's intro names.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tools import python_package

from mailtrap import BaseMailbox, Message
from mailtrap.cli import build_parser

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
HEADING = "### Compared with mailoutbox, smtpdfix and pytest-mailpit\n"
TOKEN = re.compile(r"`([^`]+)`")
CALL = re.compile(r"(?P<name>[A-Za-z_]\w*)(?:\((?P<args>[^)]*)\))?$")


def column(header: str) -> dict[str, list[str]]:
    """The backticked names in the table's column `header`, by row label."""
    section = README.split(HEADING, 1)[1].split("\n#", 1)[0]
    rows = [line.strip("|").split(" | ") for line in section.splitlines() if line.startswith("|")]
    headers = [cell.strip() for cell in rows[0]]
    index = headers.index(header)
    body = [row for row in rows[2:] if len(row) == len(headers)]
    assert len(body) == len(rows) - 2, "a row has the wrong number of cells"
    return {row[0].strip(): TOKEN.findall(row[index]) for row in body}


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """`pytest --fixtures` and `pytest --help` of a fresh pytest, in an empty directory, with
    the installed plugins (mailtrap's and pytest-mailpit's load by their entry points)."""
    # Not an xdist worker, and no settings of this run's: pytest-mailpit reads both.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "MAILPIT_", "MAILTRAP_"))
    }
    outputs = []
    for option in ("--fixtures", "--help"):
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", option],
            cwd=tmp_path_factory.mktemp("table"),
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(done.stdout)
    return outputs[0], outputs[1]


def unresolved(tokens: list[str], fixtures: str, help_text: str, owners: list[type]) -> list[str]:
    """The tokens that name nothing: not an option in `help_text`, a fixture in `fixtures`,
    nor a member of one of `owners` (called with parameters it has)."""
    missing = []
    for token in tokens:
        if token.startswith("--"):
            if not re.search(rf"(^|\s){re.escape(token)}[=\s]", help_text):
                missing.append(f"{token}: no such pytest option")
            continue
        call = CALL.match(token)
        if call is None:
            missing.append(f"{token}: neither a name nor a call")
            continue
        name = call["name"]
        if call["args"] is None and re.search(rf"^{name}( \[[^]]*\])? -- ", fixtures, re.M):
            continue
        owner = next((cls for cls in owners if hasattr(cls, name)), None)
        if owner is None:
            missing.append(f"{token}: no fixture, and no member of {[c.__name__ for c in owners]}")
            continue
        named = [a.strip() for a in (call["args"] or "").split(",") if a.strip().isidentifier()]
        if named:  # `fail_next(stage, code)`: the method takes those parameters
            params = inspect.signature(getattr(owner, name)).parameters
            missing += [
                f"{token}: {owner.__name__}.{name} has no {a!r}" for a in named if a not in params
            ]
    return missing


def test_the_table_compares_four_tools_feature_by_feature() -> None:
    rows = column("mailtrap")
    assert 12 <= len(rows) <= 18, list(rows)
    intro = README.split(HEADING, 1)[1].split("\n\n", 2)[0]
    for tool in ("pytest-django", "smtpdfix", "pytest-mailpit"):
        assert re.search(rf"{tool} \d+\.\d+\.\d+", intro), f"the intro names no {tool} version"


def test_every_mailtrap_name_in_the_table_exists(registered: tuple[str, str]) -> None:
    tokens = [token for cell in column("mailtrap").values() for token in cell]
    commands = [t for t in tokens if t.startswith("mailtrap ")]
    tokens = [t for t in tokens if t not in commands]
    assert len(tokens) >= 8, tokens  # the table shows the API, not only ticks
    fixtures, help_text = registered
    assert unresolved(tokens, fixtures, help_text, [BaseMailbox, Message]) == []
    listed = build_parser().format_help().split("COMMAND\n", 1)[1].split("\n\n", 1)[0]
    for command in commands:  # `mailtrap serve`: a command `mailtrap --help` lists
        name = command.split()[1]
        assert re.search(rf"^\s+{name}\s", listed, re.M), f"{command}: no such command"


def test_every_pytest_mailpit_name_in_the_table_exists(registered: tuple[str, str]) -> None:
    python_package("pytest_mailpit")
    tokens = [token for cell in column("pytest-mailpit").values() for token in cell]
    assert len(tokens) >= 5, tokens
    fixtures, help_text = registered
    owners = [
        getattr(importlib.import_module(f"pytest_mailpit.{module}"), name)
        for module, name in (("models", "Message"), ("inbox", "Inbox"), ("aio", "AsyncInbox"))
    ]
    assert unresolved(tokens, fixtures, help_text, owners) == []
