"""Where a request is within the app: the two halves of an ASGI path.

By the ASGI rule, `path` is the whole path the client asked for and `root_path` the prefix
the app is served under (set by `--webroot`, see `mailtrap.web.webroot`, or by whoever mounts
the app). Routes, the Guard's open paths and the pages' own URLs all go through these two.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["root_of", "route_path"]


def route_path(scope: Mapping[str, Any]) -> str:
    """The path below `root_path`, as routes see it: `/mail/api/events` -> `/api/events`."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root + "/"):
        return path[len(root) :]
    return path


def root_of(scope: Mapping[str, Any]) -> str:
    """The path the app is served under, with its trailing slash: "/" or e.g. "/mail/". Every
    URL a page names starts with it, so none depends on the scheme or host it was reached by."""
    root: str = scope.get("root_path", "")
    return root.rstrip("/") + "/"
