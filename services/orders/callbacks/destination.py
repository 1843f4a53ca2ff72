"""Where a status callback may go: a partner's public server, never the hub's own network.

A partner names its callback_url and we POST to it, from inside the hub's network. Left open,
that is a way in: `http://169.254.169.254/` (the cloud's metadata), `http://localhost:15672/`
(RabbitMQ's console), an address in the private ranges, also written as `0x7f000001`,
`2130706433` or `[::ffff:7f00:1]`. So a callback goes over https (plain http only where the
operator allows it) to a host whose every address is public. The URL is checked when it is
given and again at every send, since the partner's DNS may have changed since; the send
connects to the very addresses the check passed (the resolver below refuses the others), so a
name that resolves to a public address for the check and to a private one for the connection
(DNS rebinding) gets nowhere. Redirects are never followed (post.py).
"""

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from shared.problems import FieldError, Text, invalid

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 that carries an IPv4 address inside (NAT64's well-known prefix): the IPv4 one decides.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
RESOLVE_TIMEOUT_SECONDS = 5.0
_LEGACY_IPV4 = re.compile(
    r"^(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE
)


class DestinationRefused(OSError):
    """The callback_url is not one we may post to; `reason` says why, in both languages."""

    def __init__(self, code: str, reason: Text) -> None:
        super().__init__(reason.english)
        self.code = code
        self.reason = reason


HTTPS_ONLY = Text("harus https", "must use https")
NO_CREDENTIALS = Text(
    "tidak boleh memuat nama pengguna atau kata sandi", "must not hold a user name or password"
)
NOT_PUBLIC = Text(
    "harus menunjuk ke alamat publik di internet", "must point to a public internet address"
)
UNRESOLVED = Text("nama host tidak dapat ditemukan (DNS)", "its host name does not resolve (DNS)")


@dataclass(frozen=True)
class Destinations:
    """What the operator allows: plain http, and private networks a callback may reach anyway
    (for tests and local development only: never in production)."""

    allow_http: bool = False
    unsafe_private_networks: tuple[Network, ...] = ()

    def allows_address(self, address: Address) -> bool:
        return is_public(address) or any(address in net for net in self.unsafe_private_networks)

    def check_url(self, url: str) -> str | None:
        """Whatever can be told from the URL alone: raises DestinationRefused, or answers the
        host name still to resolve (None for an address written as such)."""
        parsed = URL(url)
        allowed_schemes = ("https", "http") if self.allow_http else ("https",)
        if parsed.scheme not in allowed_schemes:
            raise DestinationRefused("callback_url_scheme", HTTPS_ONLY)
        if parsed.user is not None or parsed.password is not None:
            raise DestinationRefused("callback_url_credentials", NO_CREDENTIALS)
        host = parsed.host or ""
        literal = _address(host)
        if literal is None:
            return host
        if not self.allows_address(literal):
            raise DestinationRefused("callback_url_not_public", NOT_PUBLIC)
        return None

    def check_resolved(self, hosts: list[str]) -> None:
        """The addresses a name resolved to, as the resolver wrote them: each must be allowed."""
        if not hosts:
            raise DestinationRefused("callback_url_unresolved", UNRESOLVED)
        addresses = [_address(host) for host in hosts]
        if not all(address and self.allows_address(address) for address in addresses):
            raise DestinationRefused("callback_url_not_public", NOT_PUBLIC)

    async def check(self, url: str) -> None:
        """The URL, and every address its host has now: raises DestinationRefused."""
        host = self.check_url(url)
        if host is None:
            return
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
                infos = await loop.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
        except (OSError, TimeoutError):
            raise DestinationRefused("callback_url_unresolved", UNRESOLVED) from None
        self.check_resolved([info[4][0] for info in infos])


async def require_allowed(url: str | None, destinations: Destinations) -> None:
    """422 naming `callback_url` when the partner's URL may not be posted to."""
    if url is None:
        return
    try:
        await destinations.check(url)
    except DestinationRefused as refused:
        raise invalid(FieldError("callback_url", refused.code, refused.reason)) from None


def is_public(address: Address) -> bool:
    """A public unicast address, looking through the IPv6 forms that carry an IPv4 one."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address.teredo is not None:
            inner = address.teredo[1]
        if inner is None and address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return is_public(inner)
    return address.is_global and not address.is_multicast


def _address(host: str) -> Address | None:
    """The address a host is, if it is one: also IPv4 in the forms the C library still reads
    ("127.1", "0x7f000001", "2130706433", "017700000001"), which a connection would reach."""
    bare = host.strip("[]").split("%")[0]
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if not _LEGACY_IPV4.match(bare):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except OSError:
        return None


class PublicResolver(AbstractResolver):
    """aiohttp's resolver, answering only addresses the destinations allow: the connection is
    made to what was checked, with no second lookup in between."""

    def __init__(self, destinations: Destinations) -> None:
        self._destinations = destinations
        self._resolver = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._resolver.resolve(host, port, family)
        self._destinations.check_resolved([answer["host"] for answer in answers])
        return answers

    async def close(self) -> None:
        await self._resolver.close()


def callback_session(destinations: Destinations, **session: Any) -> aiohttp.ClientSession:
    """The HTTP session callbacks are posted with: to allowed addresses only, no proxy."""
    connector = aiohttp.TCPConnector(resolver=PublicResolver(destinations))
    return aiohttp.ClientSession(connector=connector, trust_env=False, **session)
