"""mailtrap.pytest_plugin: fixtures that capture mail in tests.

Registered through the `pytest11` entry point; the fixtures live in `plugin`.
"""

from __future__ import annotations
