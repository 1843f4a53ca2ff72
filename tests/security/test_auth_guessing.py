"""Attack: guessing operator tokens and partner API keys.

Wrong ones used to cost nothing but a 401. Now each source gets ten free, then waits before
any credential of it is checked again (429 with Retry-After), longer after each further wrong
one; others go on. Played against an orders process of the test's own (the count is each
process's), which trusts X-Forwarded-For from loopback, and makes the first wait a minute so
that no step of the test can outlast it.
"""

import itertools
import uuid

import aiohttp
import pytest

from shared.guesses import FREE_FAILURES
from tests.support.replicas import own_replica
from tests.support.stack_env import OPERATOR_VIEWER_TOKEN


@pytest.fixture(scope="module")
async def orders(stack, tmp_path_factory):
    env = {"TRUSTED_PROXIES": "127.0.0.1", "GUESS_DELAY_SECONDS": "60"}
    async with own_replica(stack, "orders", tmp_path_factory.mktemp("guessing"), env) as running:
        yield running.url


_SOURCES = itertools.count(1)


def a_source() -> str:
    """A source no other test of this process used: each counts on its own."""
    return f"203.0.113.{next(_SOURCES)}"


async def send(
    orders: str, token: str, source: str, path: str = "/v1/orders?limit=1"
) -> aiohttp.ClientResponse:
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": source}
    async with aiohttp.ClientSession() as http:
        async with http.get(orders + path, headers=headers) as answer:
            await answer.read()
            return answer


GUESSES = {
    "operator token": lambda n: f"tebakan-token-{n}",
    "partner key": lambda n: f"plut_{n:012x}_{uuid.uuid4().hex}",
    "malformed": lambda n: "plut_" + "x" * n,
}


@pytest.mark.parametrize("kind", list(GUESSES))
async def test_a_guessing_source_waits_and_others_go_on(orders, partner, kind):
    guessing = a_source()
    for n in range(FREE_FAILURES + 1):
        assert (await send(orders, GUESSES[kind](n), guessing)).status == 401
    # Now even the right credential from there waits, unchecked: a guess cannot be confirmed.
    waiting = await send(orders, OPERATOR_VIEWER_TOKEN, guessing)
    assert waiting.status == 429
    assert 1 <= int(waiting.headers["Retry-After"]) <= 60
    hub = partner["partner"]["hubs"][0]
    keyed = await send(orders, partner["api_key"], guessing, f"/v1/hubs/{hub}/products")
    assert keyed.status == 429
    # Everyone else goes on.
    assert (await send(orders, OPERATOR_VIEWER_TOKEN, a_source())).status == 200
    assert (
        await send(orders, partner["api_key"], a_source(), f"/v1/hubs/{hub}/products")
    ).status == 200


async def test_a_forged_forwarded_for_does_not_make_a_new_source(orders):
    guessing = a_source()
    for n in range(FREE_FAILURES + 1):
        assert (await send(orders, f"tebakan-{n}", guessing)).status == 401
    forged = await send(orders, OPERATOR_VIEWER_TOKEN, f"192.0.2.1, {guessing}")
    assert forged.status == 429
