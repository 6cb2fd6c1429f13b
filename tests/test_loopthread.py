"""`LoopThread`: what fails on the loop's thread is raised in the caller, and no thread or loop
outlives a failed start or a stop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from mailtrap.loopthread import LoopThread


class Boom(Exception):
    pass


async def _thread_name() -> str:
    return threading.current_thread().name


async def _fail() -> None:
    raise Boom("on the loop")


async def _nothing() -> None:
    pass


def _named(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


def test_call_returns_the_result_from_the_loops_own_thread() -> None:
    runner = LoopThread.run(asyncio.new_event_loop(), _nothing(), name="lt-call", timeout=5)
    try:
        assert runner.call(_thread_name(), 5) == "lt-call"
        assert runner.loop.is_running()
    finally:
        runner.stop(_nothing(), 5)
    assert runner.loop.is_closed()
    assert _named("lt-call") == []


def test_an_exception_on_the_loop_is_raised_in_the_caller() -> None:
    runner = LoopThread.run(asyncio.new_event_loop(), _nothing(), name="lt-raise", timeout=5)
    try:
        with pytest.raises(Boom, match="on the loop"):
            runner.call(_fail(), 5)
        assert runner.call(_thread_name(), 5) == "lt-raise"  # the loop carries on
    finally:
        runner.stop(_nothing(), 5)


def test_a_failed_start_raises_and_leaves_no_thread_or_open_loop() -> None:
    loop = asyncio.new_event_loop()
    with pytest.raises(Boom):
        LoopThread.run(loop, _fail(), name="lt-start", timeout=5)
    assert loop.is_closed()
    assert _named("lt-start") == []


def test_a_failed_stop_still_closes_the_loop_and_then_raises() -> None:
    loop = asyncio.new_event_loop()
    runner = LoopThread.run(loop, _nothing(), name="lt-stop", timeout=5)
    with pytest.raises(Boom):
        runner.stop(_fail(), 5)
    assert loop.is_closed()
    assert _named("lt-stop") == []


def test_a_start_that_takes_too_long_is_a_timeout_not_a_hang() -> None:
    loop = asyncio.new_event_loop()
    with pytest.raises(TimeoutError):
        LoopThread.run(loop, asyncio.sleep(5), name="lt-slow", timeout=0.05)
    assert loop.is_closed()
    assert _named("lt-slow") == []
