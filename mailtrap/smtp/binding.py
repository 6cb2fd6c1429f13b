"""Why the SMTP server could not listen, said so that the user can act on it."""

from __future__ import annotations

import errno

from mailtrap.errors import MailtrapError

__all__ = ["PortInUse", "bind_error"]


class PortInUse(MailtrapError):
    """The SMTP port `host`:`port` is taken. The message names the fix in Python terms; a
    front end with settings of its own (the CLI's flags, the pytest plugin's ini options)
    names its own with `saying` or `fix`."""

    def __init__(
        self, host: str, port: int, fix: str = "stop it or pass another port (0 picks a free one)"
    ) -> None:
        self.host, self.port = host, port
        super().__init__(self.saying(fix))

    def saying(self, fix: str) -> str:
        """The message, ending in `fix` (what the user should change, in their own terms)."""
        return (
            f"cannot listen for SMTP on {self.host}:{self.port}: the port is in use (another "
            f"mailtrap or mail catcher?); {fix}"
        )


def bind_error(host: str, port: int, exc: OSError) -> str:
    """The message for any other failure to listen on `host`:`port`."""
    if exc.errno == errno.EACCES:
        return f"cannot listen for SMTP on {host}:{port}: permission denied; use a port above 1023"
    return f"cannot listen for SMTP on {host}:{port}: {exc.strerror or exc}"
