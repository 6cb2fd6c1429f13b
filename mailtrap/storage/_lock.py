"""One mailtrap process per SQLite file: an advisory lock held while a store is open."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from mailtrap.errors import MailtrapError

__all__ = ["lock"]


def lock(path: Path) -> IO[str] | None:
    """Hold `<db>.lock` for as long as the store is open, so a second mailtrap process on the
    same file refuses to start instead of running a second writer with its own view of
    events and retention. (Where fcntl is missing, i.e. Windows, there is no lock.)"""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    lock_path = Path(f"{path}.lock")
    try:
        handle = open(lock_path, "a+")  # noqa: SIM115 - held until close()
    except OSError as exc:
        raise MailtrapError(
            f"cannot open {path} as a mailtrap database ({exc.strerror or exc}); "
            "pass another --db path"
        ) from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        owner = handle.read().strip() or "unknown"
        handle.close()
        raise MailtrapError(
            f"{path} is in use by another mailtrap (pid {owner}); stop that one, or pass "
            "another --db"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle
