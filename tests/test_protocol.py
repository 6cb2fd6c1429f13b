"""SMTPProtocol's shortcuts, and ProtocolFactory's copies, behave exactly like the aiosmtpd
code they stand in for."""

from __future__ import annotations

import asyncio
import types
import weakref

import pytest
from aiosmtpd.smtp import SMTP

from mailtrap import MemoryStore
from mailtrap.smtp.handler import DeliveryHandler
from mailtrap.smtp.protocol import ProtocolFactory, SMTPProtocol

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


def _shape(value: object, owner: object) -> object:
    """A comparable picture of an attribute: methods by function and by whom they are bound
    to (this protocol or not), asyncio objects by type, containers element by element."""
    if isinstance(value, types.MethodType):
        return ("method", value.__func__, value.__self__ is owner)
    if isinstance(value, dict):
        return {key: _shape(item, owner) for key, item in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return tuple(_shape(item, owner) for item in value)
    if isinstance(value, (asyncio.StreamReader, asyncio.Future, weakref.ref)):
        return type(value)
    return value


def test_a_factory_copy_is_set_up_exactly_like_a_constructed_protocol() -> None:
    async def both() -> list[tuple[SMTPProtocol, dict[str, object]]]:
        handler = DeliveryHandler(MemoryStore(), hostname="x")
        options: dict[str, object] = {
            "line_length_limit": 5000,
            "hostname": "x",
            "data_size_limit": 4000,
            "enable_SMTPUTF8": True,
            "loop": asyncio.get_running_loop(),
            "timeout": 7.0,
            "auth_exclude_mechanism": ["PLAIN"],
        }
        factory = ProtocolFactory(handler)
        made = [SMTPProtocol(handler, **options), factory(**options), factory(**options)]  # type: ignore[arg-type]
        return [(p, {k: _shape(v, p) for k, v in vars(p).items()}) for p in made]

    (_, constructed), (earlier, first), (copy, copied) = asyncio.run(both())
    assert first == constructed
    assert copied == constructed
    # Nothing per-connection is shared with the template, or between two copies.
    for name, value in vars(copy).items():
        if isinstance(value, (dict, list, set)):
            assert value is not vars(earlier)[name], name
    assert copy._stream_reader is not None  # type: ignore[attr-defined]  # asyncio-private
    assert copy._smtp_methods["DATA"].__self__ is copy
    assert copy._auth_methods["LOGIN"].method.__self__ is copy


def test_a_changed_option_builds_a_new_template() -> None:
    async def sizes() -> tuple[int | None, int | None]:
        factory = ProtocolFactory(DeliveryHandler(MemoryStore(), hostname="x"))
        loop = asyncio.get_running_loop()
        small = factory(line_length_limit=100, hostname="x", data_size_limit=100, loop=loop)
        factory(line_length_limit=100, hostname="x", data_size_limit=100, loop=loop)
        big = factory(line_length_limit=900, hostname="x", data_size_limit=900, loop=loop)
        return small.data_size_limit, big.data_size_limit

    assert asyncio.run(sizes()) == (100, 900)
