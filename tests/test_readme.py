"""README.md stays true: its option table and its commands match the code and CI."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from mailtrap.cli import build_parser
from mailtrap.config import OPTIONS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_every_option_is_in_the_readme_table_and_the_help() -> None:
    rows = [line for line in README.splitlines() if line.startswith("| `--")]
    help_text = build_parser().format_help()
    assert len(rows) == len(OPTIONS)
    for option, row in zip(OPTIONS, rows, strict=True):
        assert row.startswith(f"| `{option.flag}"), row
        assert f"`{option.env}`" in row
        assert option.flag in help_text
        assert option.env in help_text


def test_ci_runs_exactly_the_readme_test_command() -> None:
    commands = re.findall(r"```sh\n(.+?)\n```", README)
    assert commands[:2] == [
        "pip install -e . && mailtrap serve",
        "python -m pip install 'pip>=25.1' && pip install -e . --group test"
        " && python -m pytest -n auto",
    ]
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci.splitlines()


def python_blocks(section: str) -> list[str]:
    body = README.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.+?)\n```", body, re.DOTALL)


def test_the_pytest_examples_are_real_passing_tests(pytester: pytest.Pytester) -> None:
    blocks = python_blocks("Testing with pytest")
    assert len(blocks) == 3  # the first example, Django's, and Flask's (with Flask-Mailman)
    pytester.makeconftest(
        "import django\nfrom django.conf import settings\n"
        "settings.configure(EMAIL_BACKEND='django.core.mail.backends.locmem.EmailBackend')\n"
        "django.setup()\n"
    )
    pytester.makepyfile(**{f"test_readme_{n}": code for n, code in enumerate(blocks)})
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)


def test_the_first_pytest_in_the_readme_is_the_test_command() -> None:
    """Tools that look for "the README's test command" take the first pytest they find."""
    first = re.search(r"(python3? -m )?pytest[^`\n]*", README)
    assert first is not None
    assert first.group(0) == "python -m pytest -n auto"


def test_the_readme_and_ci_name_the_pythons_pyproject_claims() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    claimed = [
        c.rsplit(" :: ", 1)[1]
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert project["requires-python"] == f">={claimed[0]}"
    assert f"Python {claimed[0]} or newer" in README
    assert f"claims, {', '.join(claimed[:-1])} and {claimed[-1]}:" in " ".join(README.split())
    # noxfile.py reads the classifiers too: CI's nox run covers every claimed version but its own.
    assert "python -m nox --error-on-missing-interpreters" in (ROOT / ".ci" / "run").read_text()


def test_every_mailpit_route_the_readme_calls_served_is_answered() -> None:
    """README's table of Mailpit's routes: each one it calls served is routed by the app (an
    answer of its own, not the router's bare 404 or a 405)."""
    from inprocess import InProcess

    from mailtrap import MemoryStore
    from mailtrap.web import create_app

    table = README.split("| Mailpit route | in mailtrap |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| (.+?) \| (.+?) \|$", table, re.MULTILINE)
    served = [
        request
        for cell, status in rows
        if status == "served"  # the WebSocket row is tested in tests/web/test_events.py
        for request in re.findall(r"`(GET|PUT|POST|DELETE) (\S+)`", cell)
    ]
    assert len(served) >= 20, served
    unrouted = []
    with InProcess(create_app(MemoryStore())) as app, app.client() as http:
        for method, path in served:
            url = path.replace("{ID}", "latest").replace("{PartID}", "1").replace("{Tag}", "x")
            answer = http.request(method, url, json={} if method in ("PUT", "POST") else None)
            generic = answer.status_code == 404 and answer.text == '{"detail":"Not Found"}'
            if generic or answer.status_code == 405:
                unrouted.append(f"{method} {path}: {answer.status_code}")
    assert unrouted == [], f"README calls these served, but the app does not route them: {unrouted}"
