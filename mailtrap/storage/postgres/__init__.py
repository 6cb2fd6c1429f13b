"""The PostgreSQL store: several mailtrap instances sharing one inbox (`PostgresStore`).

Needs the `postgres` extra (`pip install 'mailtrap-catcher[postgres]'`: psycopg 3 and its
pool). `PostgresStore` is imported on first use (PEP 562), so that importing this package, or
its `url` module, never imports psycopg.
"""

from __future__ import annotations

import typing as _typing

if _typing.TYPE_CHECKING:
    from mailtrap.storage.postgres.store import PostgresStore

__all__ = ["PostgresStore"]


def __getattr__(name: str) -> _typing.Any:
    if name == "PostgresStore":
        from mailtrap.storage.postgres.store import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
