"""Which event loop the servers run on: uvloop (libuv, in C) where it is installed, else
asyncio's own.

`--loop` / `MAILTRAP_LOOP` and SMTPServer's `loop` argument take one of `LOOPS`: "auto" (the
default) is uvloop when it imports and asyncio when it does not (Windows, PyPy, a build without
it); "uvloop" insists, and `new_loop` raises LoopUnavailable naming the fix when it is missing;
"asyncio" is the standard library's loop. Both run the same protocol code: the SMTP server's
StreamReader is asyncio's own class on either loop, and STARTTLS uses `loop.start_tls`, which
uvloop implements too.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from types import ModuleType

from mailtrap.errors import MailtrapError

__all__ = [
    "LOOPS",
    "LoopUnavailable",
    "loop_factory",
    "loop_name",
    "new_loop",
    "parse_loop",
    "uvloop_module",
]

LOOPS: tuple[str, ...] = ("auto", "asyncio", "uvloop")


class LoopUnavailable(MailtrapError):
    """uvloop was asked for by name and cannot be imported."""


def parse_loop(value: str) -> str:
    """One of `LOOPS`, lower-cased; ValueError naming the choices otherwise."""
    choice = value.strip().lower()
    if choice not in LOOPS:
        raise ValueError(f"{value!r} is not an event loop; use one of {', '.join(LOOPS)}")
    return choice


def uvloop_module() -> ModuleType | None:
    """uvloop, or None when it cannot be imported (not installed, or no build for this
    platform). A function, not an import at module level: importing mailtrap must not load
    it, and tests replace this to see the fallback."""
    try:
        return importlib.import_module("uvloop")
    except ImportError:
        return None


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes a new loop of kind `choice` (one of `LOOPS`).

    Raises LoopUnavailable for "uvloop" when it is missing, ValueError for an unknown choice."""
    parse_loop(choice)
    if choice == "asyncio":
        return asyncio.new_event_loop
    uvloop = uvloop_module()
    if uvloop is not None:
        factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
        return factory
    if choice == "uvloop":
        raise LoopUnavailable(
            "--loop uvloop (MAILTRAP_LOOP=uvloop) asked for uvloop, which is not installed; "
            "pip install uvloop (Linux and macOS only), or pass --loop auto to fall back to "
            "asyncio's loop"
        )
    return asyncio.new_event_loop


def new_loop(choice: str) -> asyncio.AbstractEventLoop:
    """A new event loop of kind `choice` (see `loop_factory`)."""
    return loop_factory(choice)()


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """ "uvloop" or "asyncio": which kind `loop` is (for the banner)."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
