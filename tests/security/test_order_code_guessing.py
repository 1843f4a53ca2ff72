"""Attack: enumerating order codes through the orders API with a partner's key.

A code opens an order's standing to whoever the API lets read it, so a partner sending code
after code is a guesser like one sending wrong keys: ten wrong ones free, then it waits (429
with Retry-After), even for a right code. The centre's own site (a key with `orders:track`)
and the operators are not slowed down here: they ask for many people from one address, and
the site slows down each visitor itself. Played against an orders process of the test's own.
"""

import itertools

import aiohttp
import pytest

from shared.guesses import FREE_FAILURES
from tests.support.replicas import own_replica
from tests.support.stack_env import OPERATOR_VIEWER_TOKEN
from tools.client import HubClient

BUYER = {"name": "Ibu Sari", "type": "individual", "region": "Palangka Raya"}
_SOURCES = itertools.count(1)


@pytest.fixture(scope="module")
async def orders(stack, tmp_path_factory):
    env = {"TRUSTED_PROXIES": "127.0.0.1", "GUESS_DELAY_SECONDS": "60"}
    async with own_replica(stack, "orders", tmp_path_factory.mktemp("codes"), env) as running:
        yield running.url


def a_source() -> str:
    return f"198.51.100.{next(_SOURCES)}"


async def lookup(orders: str, token: str, source: str, code: str) -> int:
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": source}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{orders}/v1/order-codes/{code}", headers=headers) as answer:
            await answer.read()
            return answer.status


def wrong(n: int) -> str:
    return f"ZZZZZ-{n:05d}"


async def test_a_partner_guessing_codes_waits_even_for_its_own_right_one(
    orders, partner, partner_client: HubClient, hub
):
    mine = await partner_client.place_order(hub, "masker-kain", 1, BUYER)
    guessing = a_source()
    for n in range(FREE_FAILURES + 1):
        assert await lookup(orders, partner["api_key"], guessing, wrong(n)) == 404

    assert await lookup(orders, partner["api_key"], guessing, mine["code"]) == 429
    assert await lookup(orders, partner["api_key"], a_source(), mine["code"]) == 200


async def test_the_sites_key_and_the_operators_are_not_locked_out_by_wrong_codes(
    orders, client: HubClient, partner_client: HubClient, hub
):
    placed = await partner_client.place_order(hub, "masker-kain", 1, BUYER)
    site = await client.create_partner(
        "Situs", [hub], scopes=["orders:write", "orders:read", "orders:track"]
    )
    for token in (site["api_key"], OPERATOR_VIEWER_TOKEN):
        source = a_source()
        for n in range(FREE_FAILURES + 1):
            assert await lookup(orders, token, source, wrong(n)) == 404
        assert await lookup(orders, token, source, placed["code"]) == 200
