"""The counting under the throttles, attacked directly: memory stays bounded whatever the
number of sources, the wait doubles and stops at its cap, quiet forgives, an IPv6 attacker
cannot step through its /64, and X-Forwarded-For is believed only from a trusted proxy.
Pure: a clock of the test's own, requests made in memory."""

import pytest
from aiohttp.test_utils import make_mocked_request

from services.console.backends import url_path
from shared.guesses import Guesses, source_of, trusted_networks
from shared.problems import Problem


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_of_sources_keeps_memory_bounded():
    guesses = Guesses(max_sources=1000, clock=Clock())
    for n in range(50_000):
        guesses.failed(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
    assert len(guesses) == 1000


def test_the_wait_doubles_to_its_cap_and_quiet_forgives():
    clock = Clock()
    guesses = Guesses(free=3, first_delay=1, max_delay=8, forget_after=900, clock=clock)
    waits = []
    for _ in range(8):
        guesses.failed("a")
        waits.append(guesses.wait_seconds("a"))
    assert waits == [0, 0, 0, 1, 2, 4, 8, 8]
    assert guesses.wait_seconds("b") == 0  # others are not slowed
    clock.now += 901
    assert guesses.wait_seconds("a") == 0 and len(guesses) == 0


def request(peer: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    made = make_mocked_request("GET", "/", headers=headers)
    made._transport_peername = (peer, 40000)
    return made


def test_forwarded_for_is_believed_only_from_a_trusted_proxy():
    proxy = trusted_networks("10.0.0.5, 172.18.0.0/16")
    assert source_of(request("203.0.113.9", "198.51.100.1"), proxy) == "203.0.113.9"
    assert source_of(request("10.0.0.5", "198.51.100.1"), proxy) == "198.51.100.1"
    # What the client wrote before the proxy's own entry is not believed.
    assert source_of(request("10.0.0.5", "192.0.2.1, 198.51.100.1"), proxy) == "198.51.100.1"
    # Through two proxies of ours, the first address outside them.
    assert source_of(request("172.18.0.3", "198.51.100.1, 10.0.0.5"), proxy) == "198.51.100.1"
    # Garbage stops the walk at the last believable hop.
    assert source_of(request("10.0.0.5", "bukan-alamat"), proxy) == "10.0.0.5"


def test_an_ipv6_attacker_counts_as_its_whole_64():
    one = source_of(request("2001:db8:1:2::1"), ())
    other = source_of(request("2001:db8:1:2:ffff::7"), ())
    assert one == other == "2001:db8:1:2::/64"


def test_a_value_becomes_one_escaped_segment_or_no_path_at_all():
    assert url_path(("v1", "orders", "../partners")) == "/v1/orders/..%2Fpartners"
    assert url_path(("v1", "orders", "x?y#z%2F")) == "/v1/orders/x%3Fy%23z%252F"
    for bad in ("..", ".", ""):
        with pytest.raises(Problem) as refused:
            url_path(("v1", "orders", bad, "history"))
        assert refused.value.status == 404
