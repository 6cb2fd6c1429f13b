#!/usr/bin/env python3
"""The aiosmtpd floor for benchmarks/ingest.py: a plain Controller that keeps no message.

    python benchmarks/aiosmtpd_sink.py PORT

Serves SMTP on 127.0.0.1:PORT with aiosmtpd's own defaults (the aiosmtpd this interpreter has,
the one mailtrap runs on) and answers 250 to every message, storing nothing, until SIGTERM or
SIGINT. Whatever an aiosmtpd-based catcher does per message costs it time on top of this.
"""

from __future__ import annotations

import signal
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Sink:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 OK"


def main() -> None:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        raise SystemExit(f"usage: {sys.argv[0]} PORT (a TCP port number), got {sys.argv[1:]}")
    stop = {signal.SIGTERM, signal.SIGINT}
    # Blocked before the Controller starts its thread, which inherits the mask, so that the
    # signal reaches sigwait here and the server is stopped cleanly.
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    signal.sigwait(stop)
    controller.stop()


if __name__ == "__main__":
    main()
