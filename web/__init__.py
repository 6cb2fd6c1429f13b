"""The web side of mailtrap: the FastAPI app (REST API, live events, the inbox UI) and its runner.

Installed as `mailtrap.web`. It imports the core; the core never imports it (the CLI loads it
lazily), so the pytest plugin and library users do not pay for FastAPI.
"""

from __future__ import annotations

from mailtrap.web.app import create_app

__all__ = ["create_app"]
