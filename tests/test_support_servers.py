"""The test servers in tests/support keep the promise their tests rely on: an exception in a
server thread is raised in the test, not printed and forgotten."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from hooksink import HookSink


def _post_not_json() -> None:
    with HookSink() as sink:
        bad = urllib.request.Request(sink.url, data=b"not json", method="POST")
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            urllib.request.urlopen(bad, timeout=10)  # the handler died: no answer


def test_a_request_handler_that_fails_fails_the_block_that_ran_the_server() -> None:
    with pytest.raises(RuntimeError, match="handler failed 1 time") as raised:
        _post_not_json()
    assert isinstance(raised.value.__cause__, json.JSONDecodeError)


def test_a_server_whose_handlers_all_succeeded_stops_quietly() -> None:
    with HookSink() as sink:
        good = urllib.request.Request(sink.url, data=json.dumps({"a": 1}).encode(), method="POST")
        with urllib.request.urlopen(good, timeout=10) as answer:
            assert answer.status == 204
    assert [r.body for r in sink.received] == [{"a": 1}]
