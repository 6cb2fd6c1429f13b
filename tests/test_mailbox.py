"""Mailbox without pytest's fixtures: it sees only mail from while it is open, and wakes at once."""

from __future__ import annotations

import threading
import time

import pytest
from mailfactory import deliver

from mailtrap import Mailbox, MemoryStore


def test_sees_only_what_arrives_while_open_and_wakes_on_arrival() -> None:
    store = MemoryStore()
    deliver(store, subject="before")
    box = Mailbox(store, host="127.0.0.1", port=25)
    timer = threading.Timer(0.2, deliver, args=(store,), kwargs={"subject": "during"})
    started = time.monotonic()
    timer.start()
    try:
        message = box.wait_for(subject="during", timeout=10)
    finally:
        timer.join()
    assert time.monotonic() - started < 5
    assert [m.subject for m in box.messages] == ["during"]
    box.close()
    deliver(store, subject="after")
    assert [m.subject for m in box.messages] == ["during"]
    assert message.subject == "during"


def test_filters_by_recipient_and_sender() -> None:
    store = MemoryStore()
    box = Mailbox(store, host="127.0.0.1", port=25)
    deliver(store, "hidden@example.com", subject="one", sender="App <app@example.com>")
    assert box.wait_for(to="HIDDEN@example.com", timeout=1).subject == "one"
    assert box.wait_for(sender="app@example.com", timeout=1).subject == "one"
    with pytest.raises(AssertionError, match=r"sender='other@example\.com'"):
        box.wait_for(sender="other@example.com", timeout=0.05)
    with pytest.raises(ValueError, match="assert_no_message"):
        box.wait_for(0)
