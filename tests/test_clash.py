"""PyPI's `mailtrap` (mailtrap.io's API client) installs the import package `mailtrap` too.

One throwaway venv goes through what a user would do, with the real package from PyPI: our
wheel, then theirs over it; theirs uninstalled; theirs then ours; and the repair the message
gives. At each step `mailtrap --version`, `mailtrap serve --help` and pytest with our plugin
must stop with our message, not a bare ImportError. Skipped where PyPI cannot be reached,
except under CI (`CI` set), where that fails.

Our third-party dependencies are borrowed from the running environment (a .pth naming a folder
of links to them) rather than downloaded again: the packages under test, ours and theirs, are
installed and uninstalled by pip itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
FIX = (
    "pipx install mailtrap-catcher",
    "`pip uninstall mailtrap`, then `pip install --force-reinstall mailtrap-catcher`",
)
PLUGIN_TEST = "def test_catches(mailtrap):\n    assert mailtrap is not None\n"


@dataclass
class Kit:
    """What every venv here is made from: both distributions and our dependencies."""

    ours: Path  # our wheel
    theirs: Path  # their wheel, from PyPI
    src: Path  # a copy of our sources, for an editable install
    deps: Path  # links to our dependencies, installed in the running environment

    @property
    def version(self) -> str:
        return self.theirs.name.split("-")[1]


@dataclass
class Venv:
    root: Path
    work: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def pip(self, *args: str | Path) -> None:
        command = ["-m", "pip", "--python", self.python, *args, "--quiet"]
        subprocess.run(
            [sys.executable, *map(str, command)], check=True, capture_output=True, timeout=300
        )

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in args],
            check=False,
            cwd=self.work,
            env={k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "PYTHON"))},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(self.root / "bin" / "mailtrap", *args)

    def pytest(self) -> subprocess.CompletedProcess[str]:
        return self.run(self.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_it.py")


def _unreachable(message: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    base = tmp_path_factory.mktemp("clash")
    # Bounded: a network that drops packets would otherwise leave pip retrying for minutes.
    fetch = ("download", "--no-deps", "--timeout", "20", "--retries", "1", "-d", str(base))
    try:
        got = subprocess.run(
            [sys.executable, "-m", "pip", *fetch, "mailtrap"],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        _unreachable("downloading `mailtrap` from PyPI took over 120 s")
    if got.returncode:
        _unreachable(f"could not download `mailtrap` from PyPI: {got.stderr.strip()[-300:]}")
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for package in ("mailtrap", "web", "pytest_plugin"):
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    build = ("wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(base / "ours"))
    subprocess.run(
        [sys.executable, "-m", "pip", *build, str(src)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Links to everything installed here except any `mailtrap` (ours, editable or not).
    deps = base / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(("mailtrap", "__editable__")):
            (deps / entry.name).symlink_to(entry)
    [ours] = (base / "ours").glob("*.whl")
    [theirs] = base.glob("mailtrap-*.whl")
    return Kit(ours, theirs, src, deps)


@pytest.fixture
def venv(kit: Kit, tmp_path: Path) -> Venv:
    root = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", root], check=True, timeout=120)
    site = subprocess.run(
        [
            root / "bin" / "python",
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    (Path(site) / "borrowed_deps.pth").write_text(f"{kit.deps}\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / "test_it.py").write_text(PLUGIN_TEST)
    return Venv(root, work)


def assert_refused(venv: Venv, *expected: str) -> None:
    """The CLI and the plugin stop with our message (naming both distributions and the
    fix), never an ImportError's traceback."""
    for args in (("--version",), ("serve", "--help")):
        out = venv.cli(*args)
        assert out.returncode == 1, (args, out.stdout, out.stderr)
        assert out.stdout == ""
        assert out.stderr.startswith("mailtrap: "), out.stderr
        assert "Traceback" not in out.stderr, out.stderr
        assert "ImportError" not in out.stderr, out.stderr
        for text in expected:
            assert text in out.stderr, (text, out.stderr)
    out = venv.pytest()
    report = out.stdout + out.stderr
    assert out.returncode == pytest.ExitCode.USAGE_ERROR, report
    assert "ERROR: the mailtrap pytest plugin cannot load: " in report
    assert "Traceback" not in report, report
    assert "ImportError" not in report, report
    for text in expected:
        assert text in report, (text, report)


def test_each_order_of_installing_both_stops_with_the_clash_named(kit: Kit, venv: Venv) -> None:
    # Ours, then theirs: their __init__.py, client.py and config.py replace ours.
    venv.pip("install", "--no-deps", kit.ours)
    venv.pip("install", kit.theirs)
    assert_refused(
        venv,
        f"cannot run beside mailtrap {kit.version} (mailtrap.io's API client)",
        "both install the import package `mailtrap`",
        f"mailtrap {kit.version} was installed last: it replaced the catcher's mailtrap/__init__",
        *FIX,
    )

    # Theirs uninstalled: the files the two share go with it, and `mailtrap` is left without
    # an __init__.py (a namespace package).
    venv.pip("uninstall", "--yes", "mailtrap")
    assert_refused(
        venv,
        "is damaged: mailtrap/__init__.py",
        "Uninstalling `mailtrap` (mailtrap.io's API client",
        "pip install --force-reinstall mailtrap-catcher",
    )

    # Theirs, then ours: ours is whole but their client is broken.
    venv.pip("install", kit.theirs)
    venv.pip("install", "--no-deps", "--force-reinstall", kit.ours)
    assert_refused(
        venv,
        f"cannot run beside mailtrap {kit.version}",
        "was installed last: it replaced the API client's mailtrap/__init__.py",
        *FIX,
    )

    # The repair the message gives.
    venv.pip("uninstall", "--yes", "mailtrap")
    venv.pip("install", "--no-deps", "--force-reinstall", kit.ours)
    assert_works(venv)


def test_theirs_ahead_of_an_editable_install_is_named(kit: Kit, venv: Venv) -> None:
    """Nothing is overwritten, but site-packages comes before an editable install's modules:
    `import mailtrap` finds their __init__.py, and `mailtrap.cli` ours."""
    venv.pip("install", "--no-deps", "--no-build-isolation", "--editable", kit.src)
    venv.pip("install", kit.theirs)
    assert_refused(
        venv,
        f"`import mailtrap` gives mailtrap {kit.version} (mailtrap.io's API client",
        f"not mailtrap-catcher's {kit.src / 'mailtrap'}",
        "pipx install mailtrap-catcher",
        "To repair this environment for the catcher: `pip uninstall mailtrap`.",
    )
    venv.pip("uninstall", "--yes", "mailtrap")
    assert_works(venv)


def assert_works(venv: Venv) -> None:
    out = venv.cli("--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("mailtrap 0."), out.stderr
    out = venv.pytest()
    assert out.returncode == 0, out.stdout + out.stderr
