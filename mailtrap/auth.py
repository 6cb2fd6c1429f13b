"""SMTP AUTH for the sink: who may log in, and how each mechanism is checked.

Modes: off (AUTH is not advertised), accept any credentials (for apps that insist on logging
in), or a fixed set of users. PLAIN and LOGIN come from aiosmtpd; CRAM-MD5 is implemented in
`mailtrap.smtp` and checked here against the known password.
"""

from __future__ import annotations

import hmac
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

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:  # fmt: skip
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


class Passwords:
    """Web UI logins: user -> a plain password or a bcrypt hash (`$2a$`, `$2b$`, `$2y$`, as
    `htpasswd -B` writes). Checks take constant time for a given secret."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self.users = dict(users)

    def __bool__(self) -> bool:
        return bool(self.users)

    def check(self, user: str, password: str) -> bool:
        secret = self.users.get(user)
        if secret is None:
            return False
        if secret.startswith(("$2a$", "$2b$", "$2y$")):
            import bcrypt  # only needed for hashed entries

            # htpasswd writes $2y$; bcrypt checks the same algorithm under $2b$.
            hashed = ("$2b$" + secret[4:]).encode()
            return bool(bcrypt.checkpw(password.encode(), hashed))
        return hmac.compare_digest(secret.encode(), password.encode())
