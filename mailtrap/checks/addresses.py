"""The SSRF guard of anything that fetches a URL taken from mail: which addresses are internal,
and the one resolution whose checked addresses the caller then connects to.

A link in a caught mail is written by whoever sent it. Fetched from the machine running
mailtrap, it could reach what only that machine can: a database's HTTP port on loopback, the
LAN, a cloud's metadata service at 169.254.169.254. So by default such addresses are refused.

The decision is made on addresses, after DNS, never on the name: a name may resolve to
127.0.0.1. `resolve_checked` resolves once and checks every address the name has; the caller
connects to one of those very addresses (not to the name again), so a DNS server answering
differently the second time (DNS rebinding) gets nowhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

__all__ = [
    "IPAddress",
    "InternalAddress",
    "Resolver",
    "UnknownHost",
    "is_internal",
    "resolve",
    "resolve_checked",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the host's addresses. `resolve` is the real one; tests pass their own.
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]

# Beyond what `ipaddress` calls non-global: CGNAT space (RFC 6598: an ISP's inside network,
# counted global by Python 3.11) and IPv6's deprecated site-local prefix (RFC 3879).
_ALSO_INTERNAL = (
    ipaddress.ip_network("100.64.0.0/10"),
    ipaddress.ip_network("fec0::/10"),
)
# IPv6 forms that carry an IPv4 destination in their last 32 bits: NAT64 (RFC 6052, 8215) and
# the old IPv4-compatible form (RFC 4291). 6to4 and Teredo have `ipaddress` properties.
_LAST_32_BITS_V4 = (
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("::/96"),
)


class InternalAddress(Exception):
    """`host` resolves to `address`, which is internal: loopback, private, link-local..."""

    def __init__(self, host: str, address: IPAddress) -> None:
        super().__init__(str(address) if host == str(address) else f"{host} is {address}")
        self.host = host
        self.address = address


class UnknownHost(Exception):
    """`host` does not resolve (no such name, or no address for it)."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"no such host: {host} ({reason})")
        self.host = host


def is_internal(address: IPAddress) -> bool:
    """Whether `address` is anything but a public unicast one: loopback, private, link-local,
    unspecified, multicast, reserved, documentation, CGNAT, site-local, or an IPv6 form that
    embeds an IPv4 address which is one of these (6to4, Teredo, NAT64, compatible, ISATAP);
    an IPv4-mapped one is its IPv4 address. Errs towards internal: no real website lives in
    any of those ranges."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_internal(address.ipv4_mapped)  # the IPv4 address itself, on the wire
    if (
        not address.is_global
        or address.is_multicast  # 224.0.0.0/4 counts as global to Python 3.11
        or address.is_reserved
        or address.is_unspecified
        or any(address in net for net in _ALSO_INTERNAL if net.version == address.version)
    ):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        return any(is_internal(inner) for inner in _embedded_v4(address))
    return False


def _embedded_v4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 transition form carries (each one is checked)."""
    found: list[ipaddress.IPv4Address] = []
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)  # (server, client): either could be the target
    low = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if any(address in net for net in _LAST_32_BITS_V4):
        found.append(low)
    if (int(address) >> 32) & 0xFFFFFFFF in (0x00005EFE, 0x02005EFE):  # ISATAP (RFC 5214)
        found.append(low)
    return found


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address of `host` (the system's resolver, on a worker thread: getaddrinfo
    blocks). Raises UnknownHost. The caller bounds the wait."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnknownHost(host, str(exc)) from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # An IPv6 sockaddr may carry a zone ("fe80::1%eth0"); the address is what is checked.
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnknownHost(host, "no address")
    return addresses


async def resolve_checked(
    host: str,
    port: int,
    *,
    allow_internal: bool,
    resolver: Resolver = resolve,
    internal: Callable[[IPAddress], bool] = is_internal,
) -> list[IPAddress]:
    """`host`'s addresses, to connect to in this order. Raises InternalAddress if any of
    them is `internal` (unless `allow_internal`): one bad address is enough, since which one
    a client would use is not ours to predict. An IP literal is itself, never looked up.
    Raises UnknownHost."""
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = await resolver(host, port)
    if not addresses:
        raise UnknownHost(host, "no address")
    if not allow_internal:
        for address in addresses:
            if internal(address):
                raise InternalAddress(host, address)
    return addresses
