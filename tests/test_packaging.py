"""The built wheel: one `mailtrap` package with web/ and pytest_plugin/ inside it, data files
included, and no stray top-level packages. Built from a copy of the sources, offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from serving import UNTRACED

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # meta: builds and installs the wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for package in ("mailtrap", "web", "pytest_plugin"):
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("*.whl")
    return built


def test_wheel_holds_one_mailtrap_package_with_web_and_plugin_inside(wheel: Path) -> None:
    assert wheel.name.startswith("mailtrap_catcher-")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"mailtrap"}
    for required in (
        "mailtrap/__init__.py",
        "mailtrap/py.typed",
        "mailtrap/web/__init__.py",
        "mailtrap/web/app.py",
        "mailtrap/pytest_plugin/__init__.py",
        "mailtrap/storage/schema/0001_initial.sql",
        "mailtrap/storage/postgres/schema/0001_initial.sql",
        "mailtrap/web/templates/inbox.html",
        "mailtrap/web/templates/_icons.html",
        "mailtrap/web/static/app.css",
        "mailtrap/web/static/inbox.js",
        "mailtrap/web/static/docs.js",
        "mailtrap/web/static/live.js",
        "mailtrap/web/static/checks.js",  # the check tabs' modules import the other two
        "mailtrap/web/static/checkdom.js",
        "mailtrap/web/static/htmlcheck.js",
        "mailtrap/web/static/checks.css",
        "mailtrap/web/templates/_checks.html",
        "mailtrap/web/static/favicon.svg",
        "mailtrap/web/mailhtml.py",  # also run as a child process by its path
        "mailtrap/checks/data/caniemail.json",  # the HTML check's data, with its licence
        "mailtrap/checks/data/CANIEMAIL-LICENSE.md",
    ):
        assert required in names


def test_wheel_declares_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        [entry_points] = [n for n in zf.namelist() if n.endswith("entry_points.txt")]
        text = zf.read(entry_points).decode()
    assert "mailtrap = mailtrap.cli:main" in text
    assert "mailtrap-sendmail = mailtrap.sendmail:main" in text  # for sendmail_path and cron


def test_installed_wheel_runs_from_its_own_files(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    script = (
        "import mailtrap, mailtrap.web, pathlib, sys\n"
        "assert mailtrap.__file__.startswith(sys.argv[1]), mailtrap.__file__\n"
        "store = mailtrap.SQLiteStore(pathlib.Path(sys.argv[2]) / 'm.db')\n"  # runs migrations
        "store.add(b'Subject: packaged\\r\\n\\r\\nhi', mailtrap.Envelope('a@x', ('b@x',)))\n"
        "print(store.list().messages[0].subject)\n"
        "store.close()\n"
    )
    # Untraced: coverage measures the source tree, not this installed copy of it.
    env = {k: v for k, v in os.environ.items() if k not in UNTRACED} | {"PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", script, str(target), str(tmp_path)],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == "packaged"
