"""Is PyPI's other `mailtrap` distribution installed in the same place as this one?

`mailtrap` on PyPI (mailtrap.io's API client) installs the import package `mailtrap` too. In
one site-packages directory the distribution installed last overwrites the files both ship
(`mailtrap/__init__.py`, `client.py` and `config.py` in its 2.11), and uninstalling either one
deletes them. Both leave a bare ImportError far from the cause; `problem()` names it instead.

The CLI (`mailtrap.cli`) and the pytest plugin (`mailtrap.pytest_plugin`) call `problem()`
before importing anything else of ours, because by then `mailtrap/__init__.py` may be the other
project's (it imports fine, but none of our names are in it) or gone (then `mailtrap` is a
namespace package, and this module still imports). So this module uses the standard library
only, and never `mailtrap/__init__.py`'s names.

Installed elsewhere on sys.path, the other package overwrites nothing, but may come first: an
editable install of ours (`pip install -e .`) finds its modules after site-packages, so there
`import mailtrap` gives the other package's __init__.py while `mailtrap.cli` is still ours.

Cheap where nothing is wrong, since it runs at every CLI start and plugin load: a look at the
`mailtrap` module already imported, one listing of the directory that holds our package, and
one stat: about 0.1 ms, 0.5 ms with this module's import. `importlib.metadata` (5 to 30 ms to
import and search sys.path, where pytest has not loaded it already) loads only to describe a
problem found.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.metadata import Distribution

__all__ = ["problem"]

OURS = "mailtrap-catcher"
_PACKAGE = Path(__file__).parent  # our `mailtrap/` directory: never the other project's file
# The other distribution's metadata directory: `mailtrap-2.11.0.dist-info`, or an egg-info
# from a legacy install. Ours is `mailtrap_catcher-…`, which this does not match.
_THEIRS = re.compile(r"mailtrap-[^-]+(?:-py[\d.]+)?\.(?:dist|egg)-info", re.IGNORECASE)
_OUR_INFO = re.compile(r"mailtrap_catcher-[^-]+\.dist-info", re.IGNORECASE)

_APART = (
    "To use both: keep them in separate virtual environments, or install the catcher as a tool "
    "of its own: `pipx install mailtrap-catcher`."
)
_REPAIR = "pip install --force-reinstall mailtrap-catcher"


def problem() -> str | None:
    """None if our package is whole and the other `mailtrap` is not installed beside it;
    otherwise a message (several lines) naming both distributions, what happened and the fix."""
    imported = getattr(sys.modules.get("mailtrap"), "__file__", None)  # None: a namespace
    if imported and not _same_dir(Path(imported).parent, _PACKAGE):
        return _shadowed(Path(imported).parent)
    site = _PACKAGE.parent
    try:
        names = os.listdir(site)
    except OSError:  # not a directory we can read (a zip import): nothing to compare
        return None
    theirs = [name for name in names if _THEIRS.fullmatch(name)]
    if not theirs and (_PACKAGE / "__init__.py").is_file():
        return None
    ours = sorted(name for name in names if _OUR_INFO.fullmatch(name))
    return _describe(site, sorted(theirs), ours[0] if ours else None)


def _describe(site: Path, theirs: list[str], ours: str | None) -> str:
    """The slow path: read both RECORDs to say whose files are where."""
    from importlib.metadata import Distribution

    mine = Distribution.at(site / ours) if ours else None
    our_name = f"{OURS} {mine.version}" if mine else OURS
    if not theirs:
        missing = sorted(f for f in _files(mine) if not (site / f).exists()) if mine else []
        shown = _list(missing) if missing else "mailtrap/__init__.py"
        return (
            f"{our_name} is damaged: {shown} {_is_are(missing)} missing from {site}.\n"
            "Uninstalling `mailtrap` (mailtrap.io's API client, which installs the same import "
            "package `mailtrap`) deletes the files the two share.\n"
            f"To repair: `{_REPAIR}`.\n{_APART}"
        )
    other = Distribution.at(site / theirs[0])
    their_name = f"mailtrap {other.version}"
    lines = [
        f"{our_name} cannot run beside {their_name} (mailtrap.io's API client):",
        f"both install the import package `mailtrap` into {site}, "
        "and overwrite each other's files.",
    ]
    our_files, their_files = _files(mine) if mine else {}, _files(other)
    shared = sorted(our_files.keys() & their_files.keys())
    on_disk = {f: digest for f in shared if (digest := _digest(site / f))}
    replaced = [f for f, now in on_disk.items() if now == their_files[f] != our_files[f]]
    kept = [f for f, now in on_disk.items() if now == our_files[f] != their_files[f]]
    if replaced:
        lines.append(
            f"{their_name} was installed last: it replaced the catcher's {_list(replaced)}."
        )
    elif kept:
        lines.append(
            f"{our_name} was installed last: it replaced the API client's {_list(kept)}, "
            "so code that uses the API client fails here."
        )
    lines += [
        _APART,
        f"To repair this environment for the catcher: `pip uninstall mailtrap`, then `{_REPAIR}`.",
    ]
    return "\n".join(lines)


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return a == b or a.samefile(b)
    except OSError:
        return False


def _shadowed(package: Path) -> str:
    from importlib.metadata import Distribution

    infos = sorted(p for p in package.parent.glob("mailtrap-*") if _THEIRS.fullmatch(p.name))
    if not infos:  # not from a distribution we know: say where it is, guess no further
        return (
            f"`import mailtrap` gives the package at {package}, not {OURS}'s {_PACKAGE}: "
            "it comes first on sys.path. Remove it from there, or run the catcher in a "
            "virtual environment of its own."
        )
    name = f"mailtrap {Distribution.at(infos[0]).version}"
    return (
        f"`import mailtrap` gives {name} (mailtrap.io's API client, which installs the same "
        f"import package `mailtrap`) from {package}, not {OURS}'s {_PACKAGE}: it comes first "
        "on sys.path, as site-packages does before an editable install.\n"
        f"{_APART}\nTo repair this environment for the catcher: `pip uninstall mailtrap`."
    )


def _files(dist: Distribution) -> dict[str, str | None]:
    """RECORD's package files (`mailtrap/...`, no bytecode) mapped to their sha256 values."""
    found: dict[str, str | None] = {}
    for path in dist.files or ():
        if path.parts[0] == "mailtrap" and path.suffix != ".pyc":
            found[path.as_posix()] = path.hash.value if path.hash else None
    return found


def _digest(path: Path) -> str | None:
    """The file's sha256 as RECORD writes it (urlsafe base64, unpadded); None if unreadable."""
    try:
        raw = hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return None
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _list(files: list[str]) -> str:
    shown = ", ".join(files[:5])
    return shown if len(files) <= 5 else f"{shown} and {len(files) - 5} more"


def _is_are(files: list[str]) -> str:
    return "is" if len(files) <= 1 else "are"
