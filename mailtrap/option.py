"""`Option`: one setting of `mailtrap serve` as its flag and its `MAILTRAP_*` variable see it.

The options themselves are listed in `mailtrap.option_table` and `mailtrap.outbound_options`;
`mailtrap.config.Settings` holds their values and defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Option"]


@dataclass(frozen=True, slots=True)
class Option:
    """One setting as the CLI and the environment see it. A `repeatable` flag collects
    values (its variable takes them comma-separated)."""

    name: str
    flag: str
    metavar: str | None
    parse: Callable[[str], Any]
    help: str
    repeatable: bool = False
    shown_default: str = ""  # what --help and README say the default is, where not the value

    @property
    def env(self) -> str:
        return f"MAILTRAP_{self.name.upper()}"
