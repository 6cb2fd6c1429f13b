"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mailfactory import build_mail, envelope_for

from mailtrap import Envelope

MakeMail = Callable[..., bytes]


@pytest.fixture
def make_mail() -> MakeMail:
    """`build_mail`: an RFC 5322 message as bytes."""
    return build_mail


@pytest.fixture
def envelope() -> Callable[..., Envelope]:
    """`envelope_for(raw, *extra_rcpts)`: an envelope addressed like the message."""
    return envelope_for
