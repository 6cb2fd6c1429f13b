"""SMTP AUTH for the sink: who may log in, and how each mechanism is checked.

Modes: off (AUTH is not advertised), accept any credentials (for apps that insist on logging
in), or a fixed set of users. PLAIN and LOGIN come from aiosmtpd; CRAM-MD5 is implemented in
`mailtrap.smtp.protocol` (`SMTPProtocol.auth_CRAM__MD5`) and checked here against the known
password.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import AuthResult, LoginPassword

__all__ = ["Authenticator", "CramMD5", "Passwords", "parse_users", "read_users_file"]


@dataclass(frozen=True, slots=True)
class CramMD5:
    """A CRAM-MD5 answer: the login, the server's challenge and the client's hex digest."""

    login: bytes
    challenge: bytes
    digest: str


class Authenticator:
    """aiosmtpd's `authenticator` callback. `users` None means any credentials are accepted."""

    def __init__(self, users: Mapping[str, str] | None = None) -> None:
        self.users = None if users is None else dict(users)

    @property
    def accept_any(self) -> bool:
        return self.users is None

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        login = getattr(auth_data, "login", b"") or b""
        name = login.decode("utf-8", "replace") if isinstance(login, bytes) else str(login)
        if self.users is None:
            return AuthResult(success=True, auth_data=auth_data)
        expected = self.users.get(name)
        if expected is None:
            return AuthResult(success=False, handled=False)
        if isinstance(auth_data, CramMD5):
            digest = hmac.new(expected.encode(), auth_data.challenge, "md5").hexdigest()
            ok = hmac.compare_digest(digest, auth_data.digest.lower())
        elif isinstance(auth_data, LoginPassword):
            ok = hmac.compare_digest(auth_data.password, expected.encode())
        else:  # pragma: no cover - aiosmtpd passes only these for our mechanisms
            ok = False
        return AuthResult(success=ok, auth_data=auth_data, handled=False)


def parse_users(pairs: Iterable[str]) -> dict[str, str]:
    """`user:pass` strings to a dict. Raises ValueError naming the malformed pair."""
    users = {}
    for pair in pairs:
        name, sep, password = pair.partition(":")
        if not sep or not name:
            raise ValueError(f"{pair!r} is not USER:PASS")
        users[name] = password
    return users


def read_users_file(path: Path) -> dict[str, str]:
    """A users file: one `user:pass` (or, for the web UI, `user:bcrypt-hash`, as `htpasswd -B`
    writes) per line; blank lines and `#` comments are skipped."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"cannot read the users file {path}: {exc.strerror or exc}") from None
    wanted = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    try:
        return parse_users(wanted)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}; each line must be USER:PASS") from None


_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
BCRYPT_HASH = re.compile(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}")
BCRYPT_MAX_BYTES = 72  # bcrypt reads no further; htpasswd -B hashes only these bytes


class Passwords:
    """Web UI logins: user -> a plain password or a bcrypt hash (`$2a$`, `$2b$`, `$2y$`, as
    `htpasswd -B` writes). Raises ValueError, naming the user, for a malformed hash.

    `check` takes the same time for every user name, so timing tells no one which names
    exist: when any entry is hashed, unknown users and plain entries are also put through
    bcrypt, against a stand-in hash of the highest cost in the table. bcrypt holds its thread
    for the whole cost (a quarter second at cost 12), so callers on an event loop run `check`
    elsewhere (mailtrap.web.login does)."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self.users = dict(users)
        hashed = {u: s for u, s in self.users.items() if s.startswith(_BCRYPT_PREFIXES)}
        costs = [_bcrypt_cost(user, secret) for user, secret in hashed.items()]
        #: The bcrypt cost every check pays; None when no entry is hashed (checks are instant).
        self.cost = max(costs) if costs else None
        # A well-formed hash of nothing anyone knows: bcrypt runs in full, then never matches.
        self._stand_in = None if self.cost is None else f"$2b${self.cost:02d}${'.' * 53}"

    def __bool__(self) -> bool:
        return bool(self.users)

    def check(self, user: str, password: str) -> bool:
        secret = self.users.get(user)
        if secret is not None and secret.startswith(_BCRYPT_PREFIXES):
            return _bcrypt_matches(password, secret)
        matches = hmac.compare_digest((secret or "").encode(), password.encode())
        if self._stand_in is not None:  # what a hashed entry would have cost
            _bcrypt_matches(password, self._stand_in)
        return secret is not None and matches


def _bcrypt_cost(user: str, secret: str) -> int:
    found = BCRYPT_HASH.fullmatch(secret)
    if found is None or not 4 <= int(found.group(1)) <= 31:
        raise ValueError(
            f"the web login {user!r} has a malformed bcrypt hash; write it again with "
            "htpasswd -B (60 characters: $2y$, a cost from 04 to 31, $, then 53 of [./A-Za-z0-9])"
        )
    return int(found.group(1))


def _bcrypt_matches(password: str, secret: str) -> bool:
    import bcrypt  # only needed for hashed entries

    # htpasswd writes $2y$; bcrypt checks the same algorithm under $2b$. Like htpasswd, only
    # the first 72 bytes count (bcrypt 5 raises on longer ones rather than ignore the rest).
    hashed = ("$2b$" + secret[4:]).encode()
    return bool(bcrypt.checkpw(password.encode()[:BCRYPT_MAX_BYTES], hashed))
