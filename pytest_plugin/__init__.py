"""mailtrap.pytest_plugin: fixtures that capture mail in tests.

Registered through the `pytest11` entry point; the fixtures live in `plugin`.
"""

from __future__ import annotations

import pytest

from mailtrap._clash import problem

# Here, not in `plugin`: this runs before `plugin` imports modules that PyPI's other
# `mailtrap` replaces, which would fail first with a bare ImportError (README, "Two commands").
if (_clash := problem()) is not None:
    raise pytest.UsageError(f"the mailtrap pytest plugin cannot load: {_clash}")
