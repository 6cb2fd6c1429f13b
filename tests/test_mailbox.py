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


def test_exactly_fails_when_more_than_count_match() -> None:
    """pytest-mailpit's wait_for_message fails on a duplicate; `exactly=True` does so here."""
    store = MemoryStore()
    box = Mailbox(store, host="127.0.0.1", port=25)
    deliver(store, "a@example.com", subject="Welcome")
    assert box.wait_for(subject="Welcome", exactly=True, timeout=1).subject == "Welcome"
    deliver(store, "a@example.com", subject="Welcome")
    deliver(store, "b@example.com", subject="Other")
    assert len(box.wait_for(2, subject="Welcome", exactly=True, timeout=1)) == 2
    assert box.wait_for(to="b@example.com", exactly=True, timeout=1).subject == "Other"
    with pytest.raises(AssertionError) as failed:
        box.wait_for(subject="Welcome", exactly=True, timeout=1)
    lines = str(failed.value).splitlines()
    assert lines[0] == "expected exactly 1 message (subject='Welcome'), but 2 match:"
    assert [line.split()[-1] for line in lines[1:]] == ["subject", "'Welcome'", "'Welcome'"]
    assert box.wait_for(subject="Welcome", timeout=1).subject == "Welcome"  # not exactly: first


def test_sync_waits_on_an_event_loop_thread_point_to_the_async_form() -> None:
    """Issue 17: on the loop's own thread, a sync wait blocks the loop, so mail sent from it
    cannot go out: wait_for timed out and assert_no_message passed wrongly."""
    store = MemoryStore()
    box = Mailbox(store, host="127.0.0.1", port=25)

    async def on_the_loop() -> None:
        with pytest.raises(RuntimeError, match=r"await mailtrap\.wait_for_async\(\.\.\.\)"):
            box.wait_for(timeout=0.05)
        with pytest.raises(RuntimeError, match=r"mailtrap\.assert_no_message_async\(\.\.\.\)"):
            box.assert_no_message(within=0.05)
        asyncio.get_running_loop().call_later(0.05, deliver, store)
        with pytest.raises(AssertionError, match="expected no messages, but got"):
            await box.assert_no_message_async(within=5)

    asyncio.run(on_the_loop())


def test_the_async_twins_read_clear_and_refuse() -> None:
    store = MemoryStore()
    box = Mailbox(store, host="127.0.0.1", port=25)
    deliver(store, subject="one")

    async def on_the_loop() -> list[str]:
        await box.wait_for_async(subject="one", timeout=1)
        subjects = [m.subject for m in await box.messages_async()]
        await box.clear_async()
        assert await box.messages_async() == []
        with pytest.raises(ValueError, match=r"pass chaos=server\.chaos"):
            await box.fail_next_async("rcpt", 550)
        return subjects

    assert asyncio.run(on_the_loop()) == ["one"]
