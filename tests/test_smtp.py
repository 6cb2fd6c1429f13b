"""SMTPProtocol's shortcuts behave exactly like the aiosmtpd code they stand in for."""

from __future__ import annotations

import asyncio

import pytest
from aiosmtpd.smtp import SMTP

from mailtrap import MemoryStore
from mailtrap.smtp import DeliveryHandler, SMTPProtocol

PATHS = [
    "<a@b.c>",
    "<a@b.c> SIZE=100 BODY=8BITMIME",
    " <a.b+c@d-e.f>   ",
    "<>",
    "a@b.c",
    '<"quoted local"@b.c>',
    "<@route:a@b.c>",
    "<a@b",
    "<jörg@exämple.example> SMTPUTF8",
    "<a@[127.0.0.1]>",
    "<a..b@c>",
    "<a@b.c>x",
    "<" + "l" * 70 + "@b.c>",
    "<a(comment)@b.c>",
]


@pytest.mark.parametrize("arg", PATHS)
def test_getaddr_shortcut_matches_aiosmtpd(arg: str) -> None:
    async def both() -> tuple[object, object]:
        protocol = SMTPProtocol(
            DeliveryHandler(MemoryStore(), hostname="x"), line_length_limit=1000, hostname="x"
        )
        return protocol._getaddr(arg), SMTP._getaddr(protocol, arg)

    ours, theirs = asyncio.run(both())
    assert ours == theirs
