"""Mailbox without pytest's fixtures: it sees only mail from while it is open, and wakes at once."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import assert_type

import pytest
from mailfactory import deliver

from mailtrap import Mailbox, MemoryStore, Message


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


def test_wait_for_gives_one_message_by_default_and_a_list_for_a_count() -> None:
    """The overloads say so to the type checker (tests are type-checked), and at run time."""
    store = MemoryStore()
    box = Mailbox(store, host="127.0.0.1", port=25)
    deliver(store, subject="first")
    deliver(store, subject="second")
    one = assert_type(box.wait_for(timeout=1), Message)
    both = assert_type(box.wait_for(2, timeout=1), list[Message])
    assert isinstance(one, Message)
    assert one.subject == "first"
    assert [m.subject for m in both] == ["first", "second"]

    async def waiting() -> tuple[Message, list[Message]]:
        one = assert_type(await box.wait_for_async(timeout=1), Message)
        return one, assert_type(await box.wait_for_async(2, timeout=1), list[Message])

    one, both = asyncio.run(waiting())
    assert one.subject == "first"
    assert len(both) == 2
