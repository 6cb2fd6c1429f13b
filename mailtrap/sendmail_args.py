"""sendmail's command line, as programs that pipe mail to `/usr/sbin/sendmail` write it.

Options come first, POSIX-style (`--` or the first non-option ends them), and flags without a
value may be clustered (`-ti`). What a program can ask of a mail catcher is honoured: `-t`,
`-i`/`-oi`, `-f`/`-r`, `-F`, recipients. What only an MTA with a queue or aliases could do is
accepted and has no effect, since callers pass it out of habit (`-odi`, `-oem`, `-bm`, `-v`,
`-N`, ...). A mode other than sending (`-bs`, `-bp`, `-q`, ...) is refused: pretending to run
it would hide that nothing happened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.utils import getaddresses

__all__ = ["EX_USAGE", "USAGE", "Invocation", "UsageError", "parse_args"]

EX_USAGE = 64
USAGE = """\
usage: mailtrap-sendmail [-t] [-i] [-f SENDER] [-F NAME] [--smtp-addr HOST:PORT] [RECIPIENT ...]
  reads one message on stdin and sends it to mailtrap's SMTP server
  -t            also send to the To, Cc and Bcc headers' addresses (Bcc is then removed)
  -i, -oi       a line with a lone "." does not end the message
  -f, -r SENDER the envelope sender ("<>" for none); default USER@HOST
  -F NAME       the full name in the From header added to a message without one
  --smtp-addr   the server [env MAILTRAP_SMTP_ADDR; default 127.0.0.1:1025]
  accepted with no effect: -bm -m -n -v -G -U -Ac -Am, -oX..., -N -R -V -B -L -C -h -p -X VALUE"""

# Single letters with no effect here, and those that take a value that has none either.
_IGNORED_FLAGS = frozenset("mnvGUA")
_IGNORED_WITH_VALUE = frozenset("NRVBLChpXO")
_REFUSED_MODES = "-bs (SMTP on stdin), -bp, -bq, -bd, -bv, -bt, -bi and -q"


class UsageError(ValueError):
    """A command line this sendmail cannot honour; the message says which part and why."""


@dataclass(slots=True)
class Invocation:
    """What the command line asks for. `sender` None means the default (USER@HOST)."""

    extract: bool = False
    ignore_dots: bool = False
    sender: str | None = None
    full_name: str = ""
    recipients: list[str] = field(default_factory=list)
    smtp_addr: str = ""
    help: bool = False


def parse_args(argv: Sequence[str]) -> Invocation:
    """Read sendmail's arguments; raises UsageError naming the argument and the fix."""
    result = Invocation()
    args = list(argv)
    index = 0

    def value(rest: str, option: str) -> str:
        nonlocal index
        if rest:
            return rest
        if index >= len(args):
            raise UsageError(f"{option} needs a value")
        index += 1
        return args[index - 1]

    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            break
        if arg == "--help":
            result.help = True
            continue
        if arg.startswith("--smtp-addr"):
            name, equals, given = arg.partition("=")
            if name != "--smtp-addr":
                raise UsageError(f"unknown option {arg!r}")
            result.smtp_addr = given if equals else value("", "--smtp-addr")
            continue
        if arg.startswith("--"):
            raise UsageError(f"unknown option {arg!r}")
        if not arg.startswith("-") or arg == "-":
            index -= 1
            break
        _cluster(arg, result, value)
    for arg in args[index:]:  # each may be a list: "a@example.com, Bee <b@example.com>"
        if any(ord(c) < 0x20 or c == "\x7f" for c in arg):  # would end an SMTP command
            raise UsageError(f"recipient {arg!r} is not an e-mail address")
        pairs = getaddresses([arg])
        found = [address for _, address in pairs if address]
        # getaddresses makes something of anything ("not an address" -> "not"): what it
        # did not use must be only the list's punctuation.
        leftover = arg
        for name, address in pairs:
            leftover = leftover.replace(address, "", 1).replace(name, "", 1)
        if not found or leftover.strip(' ,<>"\t'):
            raise UsageError(f"recipient {arg!r} is not an e-mail address (or a list of them)")
        for address in found:
            _check_address(address, "recipient")
        result.recipients += found
    if result.sender is not None:
        _check_address(result.sender, "-f sender")
    return result


def _cluster(arg: str, result: Invocation, value: Callable[[str, str], str]) -> None:
    """One `-xyz` argument: flags, then at most one option that takes the rest as its value."""
    position = 1
    while position < len(arg):
        letter, rest = arg[position], arg[position + 1 :]
        position += 1
        if letter == "t":
            result.extract = True
        elif letter == "i":
            result.ignore_dots = True
        elif letter in _IGNORED_FLAGS:
            if letter == "A":  # -Ac / -Am: which submission config to read
                return
        elif letter == "o":  # -oi; any other -oX is an MTA setting (-odi, -oem, -oQ...)
            if rest == "i":
                result.ignore_dots = True
            elif not rest:
                raise UsageError("-o needs an option letter, e.g. -oi")
            return
        elif letter == "b":
            if rest not in ("m", ""):
                raise UsageError(
                    f"-b{rest}: only sending a message (-bm) is supported, not {_REFUSED_MODES}"
                )
            return
        elif letter == "q":
            raise UsageError(
                f"{arg}: there is no queue to run; only sending a message is supported"
            )
        elif letter in "fr":
            sender = value(rest, f"-{letter}")
            result.sender = "" if sender in ("<>", "") else sender.strip("<>")
            return
        elif letter == "F":
            result.full_name = value(rest, "-F")
            return
        elif letter in _IGNORED_WITH_VALUE:
            value(rest, f"-{letter}")
            return
        elif letter == "d":  # -dX.Y debugging: nothing to debug
            return
        else:
            raise UsageError(f"unknown option -{letter} in {arg!r}")


def _check_address(address: str, what: str) -> None:
    """No control character or space: each would end the SMTP command it goes into."""
    if any(ord(c) < 0x21 or c == "\x7f" for c in address) or not address.strip("<>"):
        if what.startswith("-f") and address == "":
            return
        raise UsageError(f"{what} {address!r} is not an e-mail address")
