"""Dependencies point one way: the core never pulls in the web stack."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
import types
from pathlib import Path

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
    assert "mailtrap.cli" in modules
    assert "mailtrap.storage.sqlite" in modules
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


def test_the_postgres_driver_is_imported_only_with_a_postgres_store() -> None:
    """psycopg comes with the optional `postgres` extra: mailtrap, its CLI and options, the
    other stores and the pytest plugin must work (and start fast) without it."""
    script = (
        "import sys, mailtrap, mailtrap.cli, mailtrap.options, mailtrap.storage\n"
        "import mailtrap.storage.postgres, mailtrap.storage.postgres.url\n"
        "import mailtrap.pytest_plugin.plugin\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_pool')))\n"
        "mailtrap.PostgresStore\n"
        "print('psycopg' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.splitlines() == ["[]", "True"]


def test_public_api_is_declared_once() -> None:
    assert len(set(mailtrap.__all__)) == len(mailtrap.__all__)  # ruff (RUF022) keeps it sorted
    for name in mailtrap.__all__:
        assert hasattr(mailtrap, name), name


def test_the_lazy_names_are_the_ones_type_checkers_see() -> None:
    """`mailtrap/__init__.py` names each public name twice: imported for type checkers, and
    in `_HOMES` for the import on first use. Both say the same module for the same names."""
    import ast

    tree = ast.parse(Path(mailtrap.__file__).read_text())
    [block] = [n for n in tree.body if isinstance(n, ast.If)]  # `if _typing.TYPE_CHECKING:`
    imported = {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imported == mailtrap._HOMES
    assert {*imported, "__version__"} == set(mailtrap.__all__)


def test_importing_the_package_imports_none_of_its_parts() -> None:
    """pytest imports `mailtrap` for its plugin in every run: that must cost next to nothing."""
    script = (
        "import sys, mailtrap\n"
        "print(sorted(m for m in sys.modules if m.startswith('mailtrap.')))\n"
        "mailtrap.Mailbox\n"
        "print('mailtrap.mailbox' in sys.modules, 'Mailbox' in vars(mailtrap))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.splitlines() == ["['mailtrap._version']", "True True"]


def test_every_public_name_is_exported_and_documented() -> None:
    """As httpx's test_exported_members: the package's public names are exactly `__all__`,
    each has a docstring, and README's table of the public API names each one."""
    for name in mailtrap.__all__:  # imported on first use: load them all, then look
        getattr(mailtrap, name)
    public = sorted(
        name
        for name, value in vars(mailtrap).items()
        if name.isidentifier()
        and not name.startswith("_")
        and name != "annotations"  # from __future__
        and not isinstance(value, types.ModuleType)  # submodules are attributes too
    )
    assert sorted(n for n in mailtrap.__all__ if n != "__version__") == public
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = readme.split("### The public API", 1)[1].split("\n## ", 1)[0]
    for name in mailtrap.__all__:
        assert f"`{name}`" in table, f"README's public API table does not name {name}"
        if name != "__version__":
            assert (getattr(mailtrap, name).__doc__ or "").strip(), f"{name} has no docstring"


def test_readme_imports_only_from_the_package() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    inner = "|".join(m.name for m in pkgutil.iter_modules(mailtrap.__path__))
    private = re.findall(rf"\bmailtrap\.(?:{inner})\b", readme)
    assert "from mailtrap import" in readme
    assert private == []


def test_only_the_client_and_the_guarded_link_check_make_outbound_requests() -> None:
    """No SSRF surface: nothing but mailtrap.client (URLs its user gives), the link check
    (URLs from mail, each host through the SSRF guard, tests/test_link_check.py) and
    mailtrap.webhook (only the operator's own --webhook-url) fetches."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    fetchers = {"urllib.request", "http.client", "httpx", "requests", "aiohttp", "urllib3"}
    offenders = []
    for path in [
        *root.glob("mailtrap/**/*.py"),
        *root.glob("web/**/*.py"),
        *root.glob("pytest_plugin/**/*.py"),
    ]:
        if path.name in ("client.py", "webhook.py") and path.parent.name == "mailtrap":
            continue
        if path == root / "mailtrap" / "checks" / "links.py":
            assert "resolve_checked(" in path.read_text()  # every hop is checked
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            offenders += [f"{path.name}: {n}" for n in names if n in fetchers]
    assert offenders == []
