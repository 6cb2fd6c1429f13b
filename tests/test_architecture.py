"""Dependencies point one way: the core never pulls in the web stack."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import mailtrap

WEB_STACK = ("fastapi", "starlette", "uvicorn", "jinja2", "mailtrap.web")


def core_modules() -> list[str]:
    found = []
    for info in pkgutil.walk_packages(mailtrap.__path__, "mailtrap."):
        if info.name.startswith(("mailtrap.web", "mailtrap.pytest_plugin")):
            continue
        if info.name != "mailtrap.__main__":  # runs the CLI when imported
            found.append(info.name)
    return found


def test_importing_the_whole_core_loads_no_web_stack() -> None:
    modules = core_modules()
    assert "mailtrap.cli" in modules and "mailtrap.storage.sqlite" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {WEB_STACK!r}"
        f" or m.startswith('mailtrap.web')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_public_api_is_declared_once() -> None:
    assert len(set(mailtrap.__all__)) == len(mailtrap.__all__)  # ruff (RUF022) keeps it sorted
    for name in mailtrap.__all__:
        assert hasattr(mailtrap, name), name
