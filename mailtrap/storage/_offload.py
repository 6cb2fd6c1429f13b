"""Running a store's `add` on a thread of its own, so that `submit` returns at once.

`MessageStore.submit` promises not to parse on the caller's thread: the caller is often the
SMTP event loop, which serves every other connection (and under `mailtrap serve` the web API)
meanwhile, and a large or hostile message still takes up to a few hundred milliseconds to
parse. The SQLite store parses on its writer thread; the memory store hands `add` to this.

Not `concurrent.futures.ThreadPoolExecutor`: a hand-over here is one `SimpleQueue.put`, and the
thread is a daemon, so a store left open never holds up the interpreter's exit.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

from mailtrap.message.models import Envelope, MessageSummary

__all__ = ["Offload"]

Work = Callable[[bytes, Envelope], MessageSummary]
_Item = tuple[bytes, Envelope, "Future[MessageSummary]"]


class Offload:
    """`submit(raw, envelope)` runs `work(raw, envelope)` on a daemon thread named `name`, in
    the order submitted, and returns a future of its outcome. The thread starts on first use;
    `close()` lets it finish what it was handed, then ends it. Thread-safe."""

    def __init__(self, work: Work, *, name: str) -> None:
        self._work = work
        self.name = name
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, raw: bytes, envelope: Envelope) -> Future[MessageSummary]:
        done: Future[MessageSummary] = Future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            self._queue.put((raw, envelope, done))
        return done

    def close(self) -> None:
        """Finish everything submitted so far, then end the thread. Idempotent."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            raw, envelope, done = item
            if not done.set_running_or_notify_cancel():
                continue
            try:
                done.set_result(self._work(raw, envelope))
            except BaseException as exc:  # a closed store, say: the caller's to report
                done.set_exception(exc)
