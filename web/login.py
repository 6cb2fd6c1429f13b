"""HTTP Basic logins for `--ui-auth`/`--ui-auth-file`, checked without stalling the server.

A bcrypt check holds its thread for its whole cost (a quarter second at cost 12). Run on the
event loop, it stopped every request and SMTP session while it ran: eight clients sending wrong
passwords held one SMTP transaction for 13 s. Here:
- hashed tables are checked on their own small pool of threads (bcrypt releases the GIL), so
  the event loop keeps serving; the pool is bounded, so a flood of wrong passwords queues
  rather than starting threads or taking every core from SMTP;
- a right user and password is remembered, so a browser (which sends the login with every
  request) pays bcrypt once. Entries are HMACs under a key made at start and never written
  anywhere, so the cache holds no password nor anything to test guesses against; it is
  bounded, the oldest forgotten first;
- unknown users cost as much as known ones (see `mailtrap.smtp.auth.Passwords`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections import OrderedDict

import anyio
import anyio.to_thread

from mailtrap.smtp.auth import Passwords

__all__ = ["CACHE_SIZE", "Logins"]

CACHE_SIZE = 1024  # right logins remembered; far more than one developer's browsers and scripts


def pool_size() -> int:
    """bcrypt threads: half the cores (at least one, at most four), leaving the rest to SMTP and
    the event loop however many wrong passwords arrive."""
    return max(1, min(4, (os.cpu_count() or 2) // 2))


class Logins:
    """`await logins.allows(authorization_header)`: whether it carries a right login."""

    def __init__(self, passwords: Passwords, *, threads: int | None = None) -> None:
        self.passwords = passwords
        self.threads = threads or pool_size()
        self._limiter: anyio.CapacityLimiter | None = None  # made on first use, in the loop
        self._key = secrets.token_bytes(32)
        self._known: OrderedDict[bytes, None] = OrderedDict()

    def __bool__(self) -> bool:
        return bool(self.passwords)

    async def allows(self, authorization: str) -> bool:
        """True for an `Authorization: Basic ...` value naming a user and its password."""
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, password = decoded.partition(":")
        return await self.check(user, password)

    async def check(self, user: str, password: str) -> bool:
        # Length-prefixed, so that ("a:b", "c") and ("a", "b:c") cannot share an entry.
        key = hmac.new(self._key, f"{len(user)}:{user}:{password}".encode(), hashlib.sha256)
        digest = key.digest()
        if digest in self._known:
            self._known.move_to_end(digest)
            return True
        if self.passwords.cost is None:  # plain entries only: a compare, no need to leave
            ok = self.passwords.check(user, password)
        else:
            if self._limiter is None:
                self._limiter = anyio.CapacityLimiter(self.threads)
            ok = await anyio.to_thread.run_sync(
                self.passwords.check, user, password, limiter=self._limiter
            )
        if ok:
            self._known[digest] = None
            if len(self._known) > CACHE_SIZE:
                self._known.popitem(last=False)
        return ok
