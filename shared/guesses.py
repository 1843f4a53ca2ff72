"""Slowing down whoever guesses credentials (operator tokens, partner API keys): per source
address, a few wrong ones are free; past them each wrong one makes that source wait twice as
long as the last before any credential of it is checked again (429 with Retry-After), up to a
few minutes; a quiet quarter of an hour forgives it.

Counted in the process's memory, bounded: the least recently failing sources are forgotten
first. The secrets guessed are 128 or more random bits, so this is not what keeps them safe;
it keeps a guesser from costing the service its CPU and its logs, and each replica counting on
its own is enough for that. Passwords, which people choose, are counted in Postgres instead
(services/console/attempts.py), where replicas and concurrent requests count as one.

Where a request comes from: the peer's address, or, when the peer is one of the operator's
trusted reverse proxies (`TRUSTED_PROXIES`), the last address in X-Forwarded-For that is not
one of them. IPv6 sources count per /64, the block one subscriber usually holds.
"""

import functools
import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from shared.config import ServiceSettings
from shared.problems import RATE_LIMITED, Problem, Text

FREE_FAILURES = 10
FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 300.0
FORGET_AFTER_SECONDS = 900.0
MAX_SOURCES = 10_000

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def trusted_networks(setting: str) -> tuple[Network, ...]:
    """`TRUSTED_PROXIES` ("10.0.0.5, 172.18.0.0/16") as networks."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False)
        for part in setting.split(",")
        if part.strip()
    )


# Parsing an address is most of what finding a request's source costs, and every request of a
# credential pays it: the last few thousand are kept (addresses are immutable values).
@functools.lru_cache(maxsize=4096)
def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def source_of(request: web.Request, trusted: tuple[Network, ...]) -> str:
    """Who sent the request, as a key to count by (an address, or an IPv6 /64)."""
    peer = _address(request.remote)
    if peer is not None and any(peer in network for network in trusted):
        hops = [_address(hop) for hop in request.headers.get("X-Forwarded-For", "").split(",")]
        for hop in reversed(hops):
            if hop is None:
                break  # garbage written by the client itself: believe no further
            peer = hop
            if not any(hop in network for network in trusted):
                break
    if peer is None:
        return request.remote or "unknown"
    if peer.version == 6:
        return str(ipaddress.ip_network(f"{peer}/64", strict=False))
    return str(peer)


@dataclass
class _Record:
    failures: int
    not_before: float
    last_failure: float


class Guesses:
    """Wrong credentials per source, and how long each source must wait."""

    def __init__(
        self,
        *,
        free: int = FREE_FAILURES,
        first_delay: float = FIRST_DELAY_SECONDS,
        max_delay: float = MAX_DELAY_SECONDS,
        forget_after: float = FORGET_AFTER_SECONDS,
        max_sources: int = MAX_SOURCES,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._free, self._first, self._max = free, first_delay, max_delay
        self._forget_after, self._max_sources, self._clock = forget_after, max_sources, clock
        self._records: OrderedDict[str, _Record] = OrderedDict()

    @classmethod
    def of(cls, settings: ServiceSettings) -> "Guesses":
        return cls(free=settings.guess_free_failures, first_delay=settings.guess_delay_seconds)

    def wait_seconds(self, source: str) -> float:
        """0 when the source may try now; else how long it must wait."""
        record = self._records.get(source)
        if record is None:
            return 0.0
        now = self._clock()
        if now - record.last_failure > self._forget_after:
            del self._records[source]
            return 0.0
        return max(0.0, record.not_before - now)

    def failed(self, source: str) -> None:
        now = self._clock()
        record = self._records.pop(source, None) or _Record(0, now, now)
        record.failures += 1
        record.last_failure = now
        beyond = record.failures - self._free
        if beyond > 0:
            record.not_before = now + min(self._max, self._first * 2 ** min(beyond - 1, 32))
        self._records[source] = record  # the most recent last: the oldest go first
        while len(self._records) > self._max_sources:
            self._records.popitem(last=False)

    def __len__(self) -> int:
        return len(self._records)


GUESSES = web.AppKey("credential_guesses", Guesses)


def retry_later(wait_seconds: float, why: Callable[[int], Text]) -> Problem:
    """429 with Retry-After in whole seconds (at least one); `why` words it for that wait."""
    seconds = max(1, math.ceil(wait_seconds))
    return RATE_LIMITED.problem(why(seconds), headers={"Retry-After": str(seconds)})


def slow_down(wait_seconds: float) -> Problem:
    return retry_later(
        wait_seconds,
        lambda seconds: Text(
            f"Terlalu banyak kredensial salah; coba lagi dalam {seconds} detik",
            f"Too many wrong credentials; try again in {seconds} s",
        ),
    )


def check_source(request: web.Request, trusted_proxies: str) -> str:
    """The request's source, after refusing it (429) while it must wait."""
    source = source_of(request, trusted_networks(trusted_proxies))
    wait = request.app[GUESSES].wait_seconds(source)
    if wait > 0:
        raise slow_down(wait)
    return source
