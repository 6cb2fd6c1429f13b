"""What the test servers that run on threads of their own share: `with` starts and stops them,
and an exception in a server thread is never lost.

`Background` is the shape: entering calls `_start()`, which returns once the server serves or
raises why it cannot; leaving calls `_stop()`, which shuts it down and raises what went wrong
in it. Servers on an event loop run it on `mailtrap.loopthread.LoopThread`, whose `call` and
`stop` raise in the test what a coroutine raised on the loop's thread. `ServedHTTP` runs a
`RecordingHTTPServer` (the standard library's threading HTTP server) and raises at the end what
a request handler raised, which the standard library would only print; a client that went away
(an OSError while answering it) is the client's business and is only printed, as before.
"""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

__all__ = ["Background", "RecordingHTTPServer", "ServedHTTP"]

STOP_SECONDS = 10  # far beyond a shutdown of these servers; a hang fails the test instead


class Background:
    """A server a test runs in a `with` block; see the module's contract."""

    def __enter__(self) -> Self:
        self._start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def _start(self) -> None:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError


class RecordingHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server on (`host`, a free port) that keeps what its handlers raise."""

    daemon_threads = True  # a slow answer still under way must not hold up the test's end

    def __init__(self, host: str, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__((host, 0), handler)
        self.errors: list[BaseException] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if error is None or isinstance(error, OSError):
            super().handle_error(request, client_address)  # prints it, as the stdlib does
        else:
            self.errors.append(error)

    def check(self) -> None:
        """Raise the first exception a handler raised, if any did."""
        if self.errors:
            raise RuntimeError(
                f"a test server's request handler failed {len(self.errors)} time(s); "
                f"first: {self.errors[0]!r}"
            ) from self.errors[0]


S = TypeVar("S", bound=RecordingHTTPServer)


class ServedHTTP(Background, Generic[S]):
    """`server` serving on a daemon thread from the start of the block to its end."""

    def __init__(self, server: S) -> None:
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)

    def _start(self) -> None:
        self._thread.start()

    def _stopping(self) -> None:
        """Called first on the way out: release requests still waiting (nothing here)."""

    def _stop(self) -> None:
        self._stopping()
        self._server.shutdown()
        self._thread.join(STOP_SECONDS)
        self._server.server_close()
        self._server.check()
