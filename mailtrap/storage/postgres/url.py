"""A PostgreSQL connection string as people may see it: without its password.

Both of libpq's forms are handled: a URI (`postgresql://user:secret@host/db?password=...`)
and key/value pairs (`host=db password=secret`). Nothing here imports psycopg, so the CLI can
show where the mail is without the `postgres` extra.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["SCHEMA_NAME", "check_schema", "redact"]

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
