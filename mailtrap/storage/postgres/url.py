"""A PostgreSQL connection string as people may see it: without its password.

Both of libpq's forms are handled: a URI (`postgresql://user:secret@host/db?password=...`)
and key/value pairs (`host=db password=secret`). Nothing here imports psycopg, so the CLI can
show where the mail is without the `postgres` extra.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "DEFAULT_SCHEMA",
    "SCHEMA_NAME",
    "DatabaseURL",
    "check_schema",
    "parse_database_url",
    "redact",
]

DEFAULT_SCHEMA = "mailtrap"
# A plain, unquoted PostgreSQL identifier: what `--database-schema` takes, so that the name
# a person types is the name in the database (PostgreSQL folds unquoted names to lower case).
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_KEY_PASSWORD = re.compile(r"""\bpassword\s*=\s*(?:'(?:[^'\\]|\\.)*'|\S*)""")


def redact(url: str) -> str:
    """`url` with any password taken out (the rest kept, to say where the database is)."""
    if "://" not in url:
        return " ".join(_KEY_PASSWORD.sub("", url).split())
    try:
        parts = urlsplit(url)
    except ValueError:  # an unparsable URI: say nothing of it rather than leak it
        return "postgresql://(unparsable URL)"
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}@{host}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"],
        safe="/",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def check_schema(name: str) -> str:
    """`name` if it is a schema name mailtrap takes; ValueError naming it and the rule."""
    if not SCHEMA_NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} is no schema name mailtrap takes: use 1 to 63 lower-case letters, "
            "digits and underscores, not starting with a digit"
        )
    return name


@dataclass(frozen=True, slots=True)
class DatabaseURL:
    """A PostgreSQL connection string that never shows its password: `str()` and `repr()`
    give it redacted, so options and settings holding one can be printed and logged. The
    real string is `secret`, for the one place that connects."""

    secret: str = field(repr=False)

    def __str__(self) -> str:
        return redact(self.secret)

    def __repr__(self) -> str:
        return f"DatabaseURL({redact(self.secret)!r})"


_SCHEMES = ("postgresql://", "postgres://")


def parse_database_url(value: str) -> DatabaseURL:
    """`--database-url`: a libpq URI (`postgresql://user:password@host:5432/db`) or key/value
    string (`host=db dbname=mail`). ValueError, naming it without its password, otherwise."""
    text = value.strip()
    if text.lower().startswith(_SCHEMES) or ("=" in text and "://" not in text):
        return DatabaseURL(text)
    raise ValueError(
        f"{redact(text)!r} is no PostgreSQL database URL; use postgresql://USER:PASSWORD@HOST"
        "/DATABASE (or libpq's key=value form)"
    )
